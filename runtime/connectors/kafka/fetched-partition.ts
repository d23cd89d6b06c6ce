// One partition inside a reader: records fetched but not yet emitted, the
// fetch position, and the read_committed filter that drops records of aborted
// transactions (the broker leaves that to the client, as the Java consumer's
// Fetcher does with its aborted-producer set).
import { IS_CONTROL, IS_TRANSACTIONAL, type fetchV17, type RecordsBatch } from '@platformatic/kafka';
import type { KafkaPartitionSplit } from './split.ts';

type FetchResponsePartition = fetchV17.FetchResponsePartition;

const LOG_APPEND_TIME = 1 << 3;

export interface FetchedRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: [Buffer | null, Buffer | null][];
}

export class FetchedPartition {
  readonly split: KafkaPartitionSplit;
  /** Next offset to fetch (ahead of split.offset, the next to emit). */
  fetchOffset: number;
  queue: FetchedRecord[] = [];
  head = 0;
  /** A dead letter is on its way to its topic: nothing more is emitted from here until it is acknowledged. */
  blocked = false;
  /** The end of what there is to read, from the last fetch response (read_committed: the last stable offset). */
  endOffset: number | undefined;
  private readonly abortedProducers = new Set<bigint>();

  constructor(split: KafkaPartitionSplit) {
    this.split = { ...split };
    this.fetchOffset = split.offset;
  }

  get buffered(): number {
    return this.queue.length - this.head;
  }

  /** Bounded and everything up to the stopping offset fetched. */
  get fetchedToEnd(): boolean {
    return this.split.stoppingOffset !== undefined && this.fetchOffset >= this.split.stoppingOffset;
  }

  /** Bounded and everything up to the stopping offset emitted. */
  get finished(): boolean {
    return this.split.stoppingOffset !== undefined && this.split.offset >= this.split.stoppingOffset;
  }

  next(): FetchedRecord | undefined {
    if (this.head >= this.queue.length) return undefined;
    return this.queue[this.head];
  }

  /** The record at the head was emitted (or sent to the dead letters). */
  advance(): void {
    const record = this.queue[this.head++]!;
    this.split.offset = record.offset + 1;
    if (this.head >= this.queue.length) this.drained();
  }

  /** Control records and aborted ones were skipped: the position may move on to the fetch position. */
  private drained(): void {
    this.queue = [];
    this.head = 0;
    if (this.fetchOffset > this.split.offset) this.split.offset = this.fetchOffset;
  }

  /** Adds the records of one fetch response; returns how many were added. */
  append(response: FetchResponsePartition, readCommitted: boolean): number {
    const aborted = readCommitted
      ? [...response.abortedTransactions].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1))
      : [];
    const end = readCommitted ? response.lastStableOffset : response.highWatermark;
    if (end >= 0n) this.endOffset = Number(end);
    let added = 0;
    for (const batch of response.records ?? []) {
      const first = Number(batch.firstOffset);
      const last = first + batch.lastOffsetDelta;
      if (last < this.fetchOffset) continue;
      while (aborted.length > 0 && Number(aborted[0]!.firstOffset) <= last) {
        this.abortedProducers.add(aborted.shift()!.producerId);
      }
      if (batch.attributes & IS_CONTROL) {
        // Control record key: version (int16), type (int16: 0 abort, 1 commit).
        if (batch.records[0]?.key?.readInt16BE(2) === 0) this.abortedProducers.delete(batch.producerId);
      } else if (!(batch.attributes & IS_TRANSACTIONAL && this.abortedProducers.has(batch.producerId))) {
        added += this.appendBatch(batch, first);
      }
      this.fetchOffset = Math.max(this.fetchOffset, last + 1);
    }
    if (this.buffered === 0) this.drained();
    return added;
  }

  private appendBatch(batch: RecordsBatch, first: number): number {
    let added = 0;
    const logAppendTime = (batch.attributes & LOG_APPEND_TIME) !== 0;
    for (const record of batch.records) {
      const offset = first + record.offsetDelta;
      if (offset < this.fetchOffset) continue;
      this.queue.push({
        offset,
        timestamp: Number(logAppendTime ? batch.maxTimestamp : batch.firstTimestamp + record.timestampDelta),
        key: record.key,
        value: record.value,
        headers: record.headers,
      });
      added++;
    }
    return added;
  }

  /** Records between the next offset to emit and the end offset (Flink's pendingRecords; the consumer lag). */
  get pendingRecords(): number | undefined {
    return this.endOffset === undefined ? undefined : Math.max(0, this.endOffset - this.split.offset);
  }

  /** The fetch position jumps (offset out of range): what was buffered is dropped. */
  resetTo(offset: number): void {
    this.queue = [];
    this.head = 0;
    this.fetchOffset = offset;
    this.split.offset = offset;
    this.abortedProducers.clear();
  }
}
