// Discovers the partitions of the subscribed topics and deals them to readers
// (Flink's KafkaSourceEnumerator): the first discovery starts where the
// configuration says, partitions found later start from their earliest offset
// (their first records were written before anyone could see them), and
// discovery goes on periodically until the enumerator is closed.
import type { SplitEnumerator, SplitEnumeratorContext } from '../source.ts';
import { EARLIEST, KafkaAdmin, LATEST } from './admin.ts';
import type { KafkaSourceSettings } from './config.ts';
import { describeKafkaError, KafkaOperationError } from './errors.ts';
import { logger, type Logger } from '../../logging/logger.ts';
import { ownerOf, splitId, type KafkaPartitionSplit } from './split.ts';

type PartitionRef = { topic: string; partition: number };

/** The partitions in `discovered` that are not yet known (pure). */
export function newPartitions(known: ReadonlySet<string>, discovered: Map<string, number>): PartitionRef[] {
  const found: PartitionRef[] = [];
  for (const [topic, count] of discovered) {
    for (let partition = 0; partition < count; partition++) {
      if (!known.has(splitId(topic, partition))) found.push({ topic, partition });
    }
  }
  return found;
}

export class KafkaSourceEnumerator implements SplitEnumerator<KafkaPartitionSplit> {
  private readonly known = new Set<string>();
  private readonly pending = new Map<number, KafkaPartitionSplit[]>();
  private readonly readers = new Set<number>();
  private admin: KafkaAdmin | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private discovering: Promise<void> | undefined;

  constructor(
    private readonly settings: KafkaSourceSettings,
    private readonly context: SplitEnumeratorContext<KafkaPartitionSplit>,
    private readonly restored?: KafkaPartitionSplit[],
  ) {
    this.log = logger('kafka', context.log);
  }

  private readonly log: Logger;

  async start(): Promise<void> {
    this.admin = new KafkaAdmin(this.settings);
    if (this.restored) {
      // Positions come from the checkpoint, never from the broker.
      this.enqueue(this.restored.map((s) => ({ ...s })));
    } else {
      await this.discover(true);
    }
    if (!this.settings.bounded && this.settings.partitionDiscoveryIntervalMs > 0) this.scheduleDiscovery();
  }

  addReader(subtask: number): void {
    this.readers.add(subtask);
    this.flush(subtask);
    if (this.settings.bounded) this.context.signalNoMoreSplits(subtask);
  }

  addSplitsBack(splits: KafkaPartitionSplit[]): void {
    this.enqueue(splits);
  }

  snapshotState(): unknown {
    return { known: [...this.known] };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.discovering?.catch(() => {});
    await this.admin?.close();
  }

  private scheduleDiscovery(): void {
    this.timer = setTimeout(() => {
      this.discovering = this.discover(false)
        .catch((error: unknown) => {
          // A broker hiccup must not end the job: the next round tries again.
          this.log.warn(
            { reason: describeKafkaError(error), err: error },
            'partition discovery failed; retrying at the next interval',
          );
        })
        .finally(() => {
          if (!this.closed) this.scheduleDiscovery();
        });
    }, this.settings.partitionDiscoveryIntervalMs);
    this.timer.unref();
  }

  private async discover(initial: boolean): Promise<void> {
    const admin = this.admin!;
    const found = newPartitions(this.known, await admin.partitions(this.settings));
    if (found.length === 0 || this.closed) return;
    const starts = initial ? await this.startingOffsets(found) : await admin.offsets(found, EARLIEST);
    const stops = this.settings.bounded
      ? await admin.offsets(found, LATEST, this.settings.isolationLevel === 'read_committed')
      : undefined;
    if (this.closed) return;
    const splits = found.map(({ topic, partition }): KafkaPartitionSplit => {
      const id = splitId(topic, partition);
      const offset = starts.get(id);
      if (offset === undefined) throw new KafkaOperationError(`resolving the start of ${id}`, 'no offset returned');
      const split: KafkaPartitionSplit = { id, topic, partition, offset };
      if (stops) split.stoppingOffset = stops.get(id) ?? offset;
      return split;
    });
    if (!initial) this.log.info({ partitions: splits.map((s) => s.id) }, 'new partitions discovered');
    this.enqueue(splits);
  }

  private async startingOffsets(found: PartitionRef[]): Promise<Map<string, number>> {
    const admin = this.admin!;
    const start = this.settings.startingOffsets;
    if (start === 'earliest') return admin.offsets(found, EARLIEST);
    if (start === 'latest') return admin.offsets(found, LATEST);
    if ('timestamp' in start) {
      const byTime = await admin.offsets(found, BigInt(start.timestamp));
      // No record at or after the timestamp: start at the end.
      const latest = await admin.offsets(found, LATEST);
      for (const [id, offset] of byTime) if (offset < 0) byTime.set(id, latest.get(id)!);
      return byTime;
    }
    const committed = await admin.committedOffsets(this.settings.groupId!, found);
    const missing = found.filter((p) => !committed.has(splitId(p.topic, p.partition)));
    if (missing.length === 0) return committed;
    if (start.committed.reset === 'fail') {
      throw new KafkaOperationError(
        `starting from committed offsets of group ${this.settings.groupId}`,
        `no committed offset for ${missing.map((p) => splitId(p.topic, p.partition)).join(', ')} and reset is 'fail'`,
      );
    }
    const fallback = await admin.offsets(missing, start.committed.reset === 'earliest' ? EARLIEST : LATEST);
    return new Map([...committed, ...fallback]);
  }

  private enqueue(splits: KafkaPartitionSplit[]): void {
    const touched = new Set<number>();
    for (const split of splits) {
      this.known.add(split.id);
      const owner = ownerOf(split.topic, split.partition, this.context.parallelism);
      this.pending.set(owner, [...(this.pending.get(owner) ?? []), split]);
      touched.add(owner);
    }
    for (const owner of touched) if (this.readers.has(owner)) this.flush(owner);
  }

  private flush(subtask: number): void {
    const splits = this.pending.get(subtask);
    this.pending.delete(subtask);
    if (splits && splits.length > 0 && !this.closed) this.context.assignSplits(subtask, splits);
  }
}
