// Thin adapters over @platformatic/kafka for what the enumerator and the
// tests need: topic and partition discovery, offsets by time or position,
// and a consumer group's committed offsets.
import { Admin, FetchIsolationLevels } from '@platformatic/kafka';
import { KafkaOperationError } from './errors.ts';
import { clientSecurityOptions, type SecuritySettings } from './security.ts';

export interface ConnectionSettings extends SecuritySettings {
  bootstrapServers: string[];
  clientId: string;
  retries: number;
  requestTimeoutMs: number;
}

/** The options of every consumer, producer and admin the connector creates. */
export function clientOptions(settings: ConnectionSettings, role: string) {
  return {
    clientId: `${settings.clientId}-${role}`,
    bootstrapBrokers: settings.bootstrapServers,
    retries: settings.retries,
    requestTimeout: settings.requestTimeoutMs,
    retryDelay: 250,
    ...clientSecurityOptions(settings),
  };
}

export type TopicPartitions = Map<string, number>;

export const EARLIEST = -2n;
export const LATEST = -1n;

export class KafkaAdmin {
  readonly admin: Admin;
  private readonly brokers: string[];

  constructor(settings: ConnectionSettings) {
    this.admin = new Admin(clientOptions(settings, 'admin'));
    this.brokers = settings.bootstrapServers;
  }

  /** Partition counts of the topics that match (topics missing from the cluster are left out). */
  async partitions(subscription: { topics?: string[]; topicPattern?: RegExp }): Promise<TopicPartitions> {
    try {
      let topics = subscription.topics;
      if (!topics) {
        const all = await this.admin.listTopics({ includeInternals: false });
        topics = all.filter((t) => subscription.topicPattern!.test(t));
      }
      if (topics.length === 0) return new Map();
      const existing = new Set(await this.admin.listTopics({ includeInternals: false }));
      const present = topics.filter((t) => existing.has(t));
      if (present.length === 0) return new Map();
      const metadata = await this.admin.metadata({ topics: present, forceUpdate: true });
      return new Map(present.map((t) => [t, metadata.topics.get(t)?.partitionsCount ?? 0]));
    } catch (error) {
      throw new KafkaOperationError('partition discovery', error, this.brokers);
    }
  }

  /** Offsets per partition at `timestamp` (EARLIEST, LATEST or epoch ms): the first offset at or after it. */
  async offsets(
    partitions: { topic: string; partition: number }[],
    timestamp: bigint,
    readCommitted = true,
  ): Promise<Map<string, number>> {
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of partitions) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
    if (byTopic.size === 0) return new Map();
    try {
      const listed = await this.admin.listOffsets({
        topics: [...byTopic].map(([name, ps]) => ({
          name,
          partitions: ps.map((partitionIndex) => ({ partitionIndex, timestamp })),
        })),
        isolationLevel: readCommitted ? FetchIsolationLevels.READ_COMMITTED : FetchIsolationLevels.READ_UNCOMMITTED,
      });
      const result = new Map<string, number>();
      for (const t of listed)
        for (const p of t.partitions) result.set(`${t.name}-${p.partitionIndex}`, Number(p.offset));
      return result;
    } catch (error) {
      throw new KafkaOperationError('listing offsets', error, this.brokers);
    }
  }

  /** The group's committed offsets; partitions without one are absent. */
  async committedOffsets(groupId: string, partitions: { topic: string; partition: number }[]) {
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of partitions) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
    try {
      const groups = await this.admin.listConsumerGroupOffsets({
        groups: [{ groupId, topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })) }],
      });
      const result = new Map<string, number>();
      for (const g of groups)
        for (const t of g.topics)
          for (const p of t.partitions) {
            if (p.committedOffset >= 0n) result.set(`${t.name}-${p.partitionIndex}`, Number(p.committedOffset));
          }
      return result;
    } catch (error) {
      throw new KafkaOperationError(`reading committed offsets of group ${groupId}`, error, this.brokers);
    }
  }

  /** Commits offsets to a group without joining it (lag monitoring). */
  async commitOffsets(groupId: string, offsets: { topic: string; partition: number; offset: number }[]) {
    const byTopic = new Map<string, { partition: number; offset: bigint }[]>();
    for (const o of offsets) {
      byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), { partition: o.partition, offset: BigInt(o.offset) }]);
    }
    if (byTopic.size === 0) return;
    await this.admin.alterConsumerGroupOffsets({
      groupId,
      topics: [...byTopic].map(([name, partitionOffsets]) => ({ name, partitionOffsets })),
    });
  }

  close(): Promise<void> {
    return this.admin.close();
  }
}
