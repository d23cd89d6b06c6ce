// Helpers for the connector's tests against the testenv broker: unique
// topics, producing input, and an independent read_committed reader of output.
import { randomUUID } from 'node:crypto';
import {
  Admin,
  Consumer,
  FetchIsolationLevels,
  MessagesStreamModes,
  Producer,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka';

export const uniqueName = (label: string) => `brook-${label}-${randomUUID().slice(0, 8)}`;

export class KafkaTestCluster {
  readonly admin: Admin;
  private readonly topics: string[] = [];

  constructor(readonly brokers: string[]) {
    this.admin = new Admin({ clientId: 'brook-test-admin', bootstrapBrokers: brokers });
  }

  async createTopic(label: string, partitions: number): Promise<string> {
    const topic = uniqueName(label);
    await this.admin.createTopics({ topics: [topic], partitions, replicas: 1 });
    this.topics.push(topic);
    return topic;
  }

  async addPartitions(topic: string, count: number): Promise<void> {
    await this.admin.createPartitions({ topics: [{ name: topic, count }] });
  }

  /** Produces records (string key and value) in batches; returns nothing until all are acknowledged. */
  async produce(
    records: { topic: string; key?: string; value: string; partition?: number; timestamp?: number }[],
  ): Promise<void> {
    const producer = new Producer({
      clientId: 'brook-test-producer',
      bootstrapBrokers: this.brokers,
      serializers: stringSerializers,
      // Idempotent: a send retried under load (request timed out, broker had it) must not write the batch twice.
      idempotent: true,
      acks: -1,
    });
    try {
      for (let i = 0; i < records.length; i += 1000) {
        await producer.send({
          messages: records.slice(i, i + 1000).map((r) => ({
            ...r,
            timestamp: r.timestamp === undefined ? undefined : BigInt(r.timestamp),
          })),
        });
      }
    } finally {
      await producer.close();
    }
  }

  /**
   * Everything a read_committed consumer sees in `topic`: it reads until `expected`
   * records came and then `quietMs` passed without more (so duplicates would show), or the deadline.
   */
  async readCommitted(topic: string, expected: number, deadlineMs = 60_000, quietMs = 1500) {
    const consumer = new Consumer({
      clientId: 'brook-test-reader',
      groupId: uniqueName('reader'),
      bootstrapBrokers: this.brokers,
      deserializers: stringDeserializers,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      maxWaitTime: 200,
    });
    const seen: {
      key: string;
      value: string;
      partition: number;
      offset: bigint;
      timestamp: bigint;
      headers: Map<string, string>;
    }[] = [];
    try {
      const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: false });
      const deadline = Date.now() + deadlineMs;
      let lastAt = Date.now();
      const timer = setInterval(() => {
        const done = seen.length >= expected && Date.now() - lastAt > quietMs;
        if (done || Date.now() > deadline) void stream.close();
      }, 100);
      try {
        for await (const m of stream) {
          const headers = new Map([...m.headers].map(([k, v]) => [String(k), String(v)]));
          seen.push({
            key: m.key,
            value: m.value,
            partition: m.partition,
            offset: m.offset,
            timestamp: m.timestamp,
            headers,
          });
          lastAt = Date.now();
        }
      } finally {
        clearInterval(timer);
      }
    } finally {
      await new Promise<void>((resolve, reject) =>
        consumer.close(true, (error) => (error ? reject(error) : resolve())),
      );
    }
    return seen;
  }

  /** Whether any transaction is still open in `topic`: its last stable offset trails its end. */
  async hasOpenTransactions(topic: string): Promise<boolean> {
    const stable = await this.endOffsets(topic, 'read_committed');
    const end = await this.endOffsets(topic, 'read_uncommitted');
    return stable.some((offset, i) => offset !== end[i]);
  }

  /** Per partition: the last stable offset (read_committed) or the log end offset (read_uncommitted). */
  async endOffsets(topic: string, isolation: 'read_committed' | 'read_uncommitted'): Promise<bigint[]> {
    const partitions = await this.partitionsOf(topic);
    const isolationLevel =
      isolation === 'read_committed' ? FetchIsolationLevels.READ_COMMITTED : FetchIsolationLevels.READ_UNCOMMITTED;
    const listed = await this.admin.listOffsets({ topics: [{ name: topic, partitions }], isolationLevel });
    return listed[0]!.partitions.map((p) => p.offset);
  }

  private async partitionsOf(topic: string) {
    const metadata = await this.admin.metadata({ topics: [topic], forceUpdate: true });
    const count = metadata.topics.get(topic)!.partitionsCount;
    return Array.from({ length: count }, (_, partitionIndex) => ({ partitionIndex, timestamp: -1n }));
  }

  async close(): Promise<void> {
    await this.admin.deleteTopics({ topics: this.topics }).catch(() => {});
    await this.admin.close();
  }
}

/** Counts occurrences (a multiset as a map). */
export function countOf(values: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}
