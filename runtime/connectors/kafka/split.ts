// A Kafka partition as a source split: its position (the next offset to emit)
// is what a checkpoint stores, and its owner among the parallel readers is a
// pure function of topic, partition and parallelism (as Flink's KafkaSourceEnumerator).
import type { SourceSplit } from '../source.ts';

export interface KafkaPartitionSplit extends SourceSplit {
  topic: string;
  partition: number;
  /** The next offset to emit. */
  offset: number;
  /** Bounded mode: the split ends when it reaches this offset. */
  stoppingOffset?: number;
}

export const splitId = (topic: string, partition: number) => `${topic}-${partition}`;

/** Java's String.hashCode, so that assignments match Flink's for the same topics. */
function javaHash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(31, h) + text.charCodeAt(i)) | 0;
  return h;
}

/** The reader that owns a partition: a topic's partitions go round-robin from a start that depends on the topic. */
export function ownerOf(topic: string, partition: number, parallelism: number): number {
  const start = (Math.imul(javaHash(topic), 31) & 0x7fffffff) % parallelism;
  return (start + partition) % parallelism;
}
