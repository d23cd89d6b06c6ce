// Records as the source hands them on: a consumed record (what a `map`
// function sees) and a dead letter (a record that failed to deserialize).

export interface KafkaConsumedRecord<V> {
  topic: string;
  partition: number;
  offset: number;
  /** Epoch milliseconds (create time or log append time). */
  timestamp: number;
  key: unknown;
  value: V;
  headers: Map<string, Buffer>;
}

/** A record the source could not deserialize or validate, with the reason and where it is. */
export interface KafkaDeadLetter {
  reason: string;
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
}

/** Headers a dead-letter topic record carries (its value and key are the original bytes). */
export const DEAD_LETTER_HEADERS = {
  reason: 'brook.error.reason',
  topic: 'brook.error.topic',
  partition: 'brook.error.partition',
  offset: 'brook.error.offset',
} as const;
