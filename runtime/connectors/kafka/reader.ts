// Reads the partitions given to one parallel source instance: a background
// fetch loop fills per-partition buffers (pausing while they hold
// maxBufferedRecords: backpressure), pollNext emits from them synchronously
// with per-partition watermarks, and a completed checkpoint commits the
// offsets it recorded to the consumer group, for lag monitoring only.
import { Consumer, FetchIsolationLevels, kGetApi, Producer, type Broker, type fetchV17 } from '@platformatic/kafka';
import type { OutputTag } from '../../api/output-tag.ts';
import type {
  InputStatus,
  ReaderOutput,
  SourceFetchStats,
  SourceReader,
  SourceReaderContext,
  SplitBacklog,
} from '../source.ts';
import { KafkaAdmin, clientOptions, EARLIEST } from './admin.ts';
import type { KafkaSourceSettings } from './config.ts';
import { deserializerFor, keyDeserializerFor } from './deserializers.ts';
import { describeKafkaError, KafkaOperationError, protocolErrorIds } from './errors.ts';
import { FetchedPartition, type FetchedRecord } from './fetched-partition.ts';
import { logger, type Logger } from '../../logging/logger.ts';
import { DEAD_LETTER_HEADERS, type KafkaConsumedRecord, type KafkaDeadLetter } from './records.ts';
import type { KafkaPartitionSplit } from './split.ts';

/** Consecutive failed fetch rounds before the reader fails the job (each waits up to 5 s). */
const MAX_FETCH_FAILURES = 30;

export class KafkaSourceReader<T> implements SourceReader<T, KafkaPartitionSplit> {
  private readonly partitions = new Map<string, FetchedPartition>();
  /** Fetch responses received and the records they added (aborted and control records left out), for metrics. */
  private readonly fetched = { requests: 0, records: 0 };
  private readonly consumer: Consumer;
  private readonly admin: KafkaAdmin | undefined;
  private deadLetterProducer: Producer | undefined;
  private readonly deserialize;
  private readonly deserializeKey;
  private readonly readCommitted: boolean;
  private buffered = 0;
  private noMoreSplits = false;
  private closed = false;
  private failure: Error | undefined;
  private loop: Promise<void> | undefined;
  private wakeFetcher: (() => void) | undefined;
  private wakeReader: (() => void) | undefined;
  private readonly offsetsAt = new Map<number, { topic: string; partition: number; offset: number }[]>();
  private cursor = 0;
  private readonly log: Logger;

  constructor(
    private readonly settings: KafkaSourceSettings,
    private readonly context: SourceReaderContext,
  ) {
    this.log = logger('kafka', context.log);
    this.readCommitted = settings.isolationLevel === 'read_committed';
    this.consumer = new Consumer({
      ...clientOptions(settings, `source-${context.subtaskIndex}`),
      // Partitions are assigned by the enumerator: the reader never joins this group.
      groupId: settings.groupId ?? 'brook-unused',
      isolationLevel: this.readCommitted ? FetchIsolationLevels.READ_COMMITTED : FetchIsolationLevels.READ_UNCOMMITTED,
    });
    this.admin = settings.groupId && settings.commitOffsetsOnCheckpoint ? new KafkaAdmin(settings) : undefined;
    this.deserialize = deserializerFor(settings.value);
    this.deserializeKey = keyDeserializerFor(settings.key);
  }

  start(): void {
    this.loop = this.fetchLoop();
  }

  addSplits(splits: KafkaPartitionSplit[]): void {
    for (const split of splits) this.partitions.set(split.id, new FetchedPartition(split));
    this.wakeFetcher?.();
    this.wakeReader?.();
  }

  notifyNoMoreSplits(): void {
    this.noMoreSplits = true;
    this.wakeReader?.();
  }

  pollNext(output: ReaderOutput<T>, maxRecords: number): InputStatus {
    if (this.failure) throw this.failure;
    const live = [...this.partitions.values()];
    // Every partition holds event time back from the start, not only once it has records.
    for (const p of live) output.forSplit(p.split.id);
    let emitted = 0;
    for (let tried = 0; tried < live.length && emitted < maxRecords; tried++) {
      emitted += this.emitFrom(live[this.cursor++ % live.length]!, output, maxRecords - emitted);
    }
    this.buffered -= emitted;
    for (const p of live) {
      if (p.finished && p.buffered === 0 && !p.blocked) {
        output.releaseSplit(p.split.id);
        this.partitions.delete(p.split.id);
      }
    }
    if (emitted > 0) this.wakeFetcher?.();
    if (emitted > 0 || this.hasReady()) return 'more';
    return this.noMoreSplits && this.partitions.size === 0 ? 'end' : 'nothing';
  }

  private hasReady(): boolean {
    for (const p of this.partitions.values())
      if ((p.buffered > 0 && !p.blocked) || (p.finished && !p.blocked)) return true;
    return false;
  }

  private emitFrom(p: FetchedPartition, output: ReaderOutput<T>, budget: number): number {
    const out = output.forSplit(p.split.id);
    const map = this.settings.map as ((record: KafkaConsumedRecord<unknown>) => T) | undefined;
    let emitted = 0;
    while (emitted < budget && !p.blocked) {
      const record = p.next();
      if (!record) break;
      emitted++;
      const value = this.deserialize(record.value);
      if (!value.ok) {
        this.deadLetter(p, record, value.reason, output);
        continue;
      }
      const element = map
        ? map({
            topic: p.split.topic,
            partition: p.split.partition,
            offset: record.offset,
            timestamp: record.timestamp,
            key: this.deserializeKey(record.key),
            value: value.value,
            headers: headersOf(record),
          })
        : (value.value as T);
      out.collect(element, record.timestamp);
      p.advance();
    }
    return emitted;
  }

  /** A record that failed: to the side output, or to the dead-letter topic (the partition waits for the ack). */
  private deadLetter(p: FetchedPartition, record: FetchedRecord, reason: string, output: ReaderOutput<T>): void {
    const letter: KafkaDeadLetter = {
      reason,
      topic: p.split.topic,
      partition: p.split.partition,
      offset: record.offset,
      timestamp: record.timestamp,
      key: record.key,
      value: record.value,
    };
    const target = this.settings.deadLetter;
    if (target && 'tag' in target) {
      if (!output.collectSide)
        throw new KafkaOperationError('dead-letter side output', 'the runtime has no side outputs for sources');
      output.collectSide(target.tag as OutputTag<KafkaDeadLetter>, letter, record.timestamp);
      p.advance();
      return;
    }
    if (!target) {
      this.log.warn(
        { topic: letter.topic, partition: letter.partition, offset: letter.offset, reason },
        'record dropped: it does not deserialize and no dead letter is configured',
      );
      p.advance();
      return;
    }
    // The position stays before the record until the broker has it: a checkpoint meanwhile replays it (at least once).
    p.blocked = true;
    this.deadLetterProducer ??= new Producer({
      ...clientOptions(this.settings, `dead-letters-${this.context.subtaskIndex}`),
      acks: -1,
    });
    this.deadLetterProducer
      .send({
        messages: [
          {
            topic: target.topic,
            key: record.key ?? undefined,
            value: record.value ?? undefined,
            // Without header serializers the client takes only a Map of byte keys to byte values.
            headers: new Map([
              [Buffer.from(DEAD_LETTER_HEADERS.reason), Buffer.from(reason)],
              [Buffer.from(DEAD_LETTER_HEADERS.topic), Buffer.from(letter.topic)],
              [Buffer.from(DEAD_LETTER_HEADERS.partition), Buffer.from(String(letter.partition))],
              [Buffer.from(DEAD_LETTER_HEADERS.offset), Buffer.from(String(letter.offset))],
            ]),
          },
        ],
      })
      .then(
        () => {
          p.blocked = false;
          p.advance();
          this.buffered--;
          this.wakeReader?.();
        },
        (error: unknown) =>
          this.fail(
            new KafkaOperationError(`sending a dead letter to ${target.topic}`, error, this.settings.bootstrapServers),
          ),
      );
    // Counted when acknowledged, not now.
    this.buffered++;
  }

  /** Per partition: records behind the end offset of the last fetch (metrics; known after the first fetch). */
  fetchStats(): SourceFetchStats {
    return { ...this.fetched };
  }

  pendingRecords(): SplitBacklog[] {
    const backlog: SplitBacklog[] = [];
    for (const p of this.partitions.values()) {
      const records = p.pendingRecords;
      if (records !== undefined) backlog.push({ split: p.split.id, records });
    }
    return backlog;
  }

  isAvailable(): Promise<void> {
    if (this.failure || this.hasReady() || (this.noMoreSplits && this.partitions.size === 0)) return Promise.resolve();
    return new Promise((resolve) => {
      this.wakeReader = () => {
        this.wakeReader = undefined;
        resolve();
      };
    });
  }

  snapshotState(checkpointId: number): KafkaPartitionSplit[] {
    const splits = [...this.partitions.values()].map((p) => ({ ...p.split }));
    if (this.admin) {
      this.offsetsAt.set(
        checkpointId,
        splits.map((s) => ({ topic: s.topic, partition: s.partition, offset: s.offset })),
      );
    }
    return splits;
  }

  /** Offsets of a completed checkpoint go to the group, for lag monitoring; a failure there only logs. */
  async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    const offsets = this.offsetsAt.get(checkpointId);
    for (const id of this.offsetsAt.keys()) if (id <= checkpointId) this.offsetsAt.delete(id);
    if (!offsets || !this.admin || this.closed) return;
    try {
      await this.admin.commitOffsets(this.settings.groupId!, offsets);
    } catch (error) {
      this.log.warn(
        { groupId: this.settings.groupId, checkpointId, reason: describeKafkaError(error), err: error },
        'committing offsets to the consumer group failed',
      );
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakeFetcher?.();
    await this.loop;
    await Promise.allSettled([this.consumer.close(), this.admin?.close(), this.deadLetterProducer?.close()]);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.wakeReader?.();
  }

  private async fetchLoop(): Promise<void> {
    let failures = 0;
    while (!this.closed) {
      const wanted = [...this.partitions.values()].filter((p) => !p.fetchedToEnd);
      if (wanted.length === 0 || this.buffered >= this.settings.maxBufferedRecords) {
        await new Promise<void>((resolve) => (this.wakeFetcher = resolve));
        this.wakeFetcher = undefined;
        continue;
      }
      try {
        await this.fetchOnce(wanted);
        failures = 0;
      } catch (error) {
        if (this.closed) return;
        if (++failures >= MAX_FETCH_FAILURES) {
          this.fail(
            new KafkaOperationError(`fetching (${failures} attempts in a row)`, error, this.settings.bootstrapServers),
          );
          return;
        }
        this.log.warn(
          { brokers: this.settings.bootstrapServers, reason: describeKafkaError(error), err: error },
          'fetch failed; retrying',
        );
        this.consumer.clearMetadata();
        await sleep(Math.min(5000, 100 * 2 ** failures));
      }
    }
  }

  private async fetchOnce(wanted: FetchedPartition[]): Promise<void> {
    const topics = [...new Set(wanted.map((p) => p.split.topic))];
    const metadata = await this.consumer.metadata({ topics });
    const byLeader = new Map<number, Map<string, FetchedPartition[]>>();
    for (const p of wanted) {
      const topic = metadata.topics.get(p.split.topic);
      const leader = topic?.partitions[p.split.partition]?.leader;
      if (!topic || leader === undefined) {
        this.consumer.clearMetadata();
        continue;
      }
      const byTopic = byLeader.get(leader) ?? new Map<string, FetchedPartition[]>();
      byTopic.set(topic.id, [...(byTopic.get(topic.id) ?? []), p]);
      byLeader.set(leader, byTopic);
    }
    await Promise.all(
      [...byLeader].map(([leader, byTopic]) => this.fetchFrom(leader, metadata.brokers.get(leader), byTopic)),
    );
  }

  private async fetchFrom(
    node: number,
    broker: Broker | undefined,
    byTopic: Map<string, FetchedPartition[]>,
  ): Promise<void> {
    if (!broker) throw new KafkaOperationError('fetching', `no address for leader ${node} in the metadata`);
    const perPartition = Math.max(
      64 * 1024,
      Math.floor(this.settings.fetchMaxBytes / [...byTopic.values()].flat().length),
    );
    let response;
    try {
      response = await this.fetchRequest(
        broker,
        [...byTopic].map(([topicId, ps]) => ({
          topicId,
          partitions: ps.map((p) => ({
            partition: p.split.partition,
            fetchOffset: BigInt(p.fetchOffset),
            currentLeaderEpoch: -1,
            lastFetchedEpoch: -1,
            partitionMaxBytes: perPartition,
          })),
        })),
      );
    } catch (error) {
      if (protocolErrorIds(error).includes('OFFSET_OUT_OF_RANGE'))
        return this.resetOutOfRange([...byTopic.values()].flat());
      throw error;
    }
    if (this.closed) return;
    this.fetched.requests++;
    for (const topic of response.responses) {
      const ps = byTopic.get(topic.topicId) ?? [];
      for (const partition of topic.partitions) {
        const p = ps.find((x) => x.split.partition === partition.partitionIndex);
        // Splits can be closed or replaced while a fetch is in flight.
        if (!p || this.partitions.get(p.split.id) !== p) continue;
        const appended = p.append(partition, this.readCommitted);
        this.buffered += appended;
        this.fetched.records += appended;
      }
    }
    this.wakeReader?.();
  }

  /**
   * One Fetch request on the consumer's connection to `broker`, at the newest
   * version both sides speak. Not Consumer.fetch: with read_committed it runs
   * the client's own aborted-transaction filter, which throws an uncaught
   * TypeError (ending the process) on an abort marker whose transaction the
   * response does not list (@platformatic/kafka issue 391, fixed after 2.11), a
   * shape that broker outages leave in exactly-once output. FetchedPartition
   * filters aborted transactions itself, across fetches, as the Java consumer does.
   */
  private async fetchRequest(broker: Broker, topics: fetchV17.FetchRequestTopic[]): Promise<fetchV17.FetchResponse> {
    type FetchApi = typeof fetchV17.api;
    const api = await new Promise<FetchApi>((resolve, reject) =>
      this.consumer[kGetApi]('Fetch', (error, found) => (error ? reject(error) : resolve(found as FetchApi))),
    );
    const connection = await this.consumer.connections.get(broker);
    const isolation = this.readCommitted ? FetchIsolationLevels.READ_COMMITTED : FetchIsolationLevels.READ_UNCOMMITTED;
    return api.async(
      connection,
      this.settings.fetchMaxWaitMs,
      1,
      this.settings.fetchMaxBytes,
      isolation,
      0,
      0,
      topics,
      [],
      '',
    );
  }

  /** A position the broker no longer has (retention deleted it): start again at the earliest offset, and say so. */
  private async resetOutOfRange(partitions: FetchedPartition[]): Promise<void> {
    const admin = new KafkaAdmin(this.settings);
    try {
      const earliest = await admin.offsets(
        partitions.map((p) => p.split),
        EARLIEST,
      );
      for (const p of partitions) {
        const offset = earliest.get(p.split.id);
        if (offset === undefined || offset <= p.fetchOffset) continue;
        this.log.warn(
          { split: p.split.id, from: p.fetchOffset, to: offset },
          'offset out of range: records were deleted before they were read',
        );
        this.buffered -= p.buffered;
        p.resetTo(offset);
      }
    } finally {
      await admin.close();
    }
  }
}

function headersOf(record: FetchedRecord): Map<string, Buffer> {
  const headers = new Map<string, Buffer>();
  for (const [k, v] of record.headers) if (k) headers.set(k.toString('utf8'), v ?? Buffer.alloc(0));
  return headers;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
