// The source interface connectors implement (Flink's FLIP-27 shape): an
// enumerator discovers splits and assigns them to parallel readers; readers
// read their splits and report positions that a checkpoint can store.
import type { OutputTag } from '../api/output-tag.ts';
import type { Logger } from '../logging/logger.ts';

/** A unit of work a reader can take over, such as a Kafka partition; carries its position. */
export interface SourceSplit {
  readonly id: string;
}

export type InputStatus = 'more' | 'nothing' | 'end';

/** A split's backlog: records between its position and the end of what is there to read. */
export interface SplitBacklog {
  split: string;
  records: number;
}

/** What a reader fetched from its external system so far (Kafka: Fetch responses, and the records they added). */
export interface SourceFetchStats {
  requests: number;
  records: number;
}

/** Where a reader puts records; `forSplit` gives per-split watermarks inside the source. */
export interface ReaderOutput<T> {
  collect(value: T, timestamp?: number): void;
  forSplit(splitId: string): SplitOutput<T>;
  releaseSplit(splitId: string): void;
  /** Emits to a side output (a source's dead letters); such records take no part in watermarks. */
  collectSide?<X>(tag: OutputTag<X>, value: X, timestamp?: number): void;
}

export interface SplitOutput<T> {
  collect(value: T, timestamp?: number): void;
}

export interface SourceReaderContext {
  readonly subtaskIndex: number;
  readonly parallelism: number;
  now(): number;
  /** Bound to the job, task, operator and subtask: a connector logs through `logger('kafka', context.log)`. */
  readonly log?: Logger;
}

export interface SourceReader<T, S extends SourceSplit> {
  start?(): void | Promise<void>;
  addSplits(splits: S[]): void;
  /** No more splits will come: a bounded reader may end once its splits are done. */
  notifyNoMoreSplits(): void;
  /** Emits up to `maxRecords` records synchronously and says whether more are ready. */
  pollNext(output: ReaderOutput<T>, maxRecords: number): InputStatus;
  /** Resolves when `pollNext` may have more after it answered 'nothing'. */
  isAvailable(): Promise<void>;
  /** The splits this reader holds, with their current positions. */
  snapshotState(checkpointId: number): S[];
  /** Checkpoint `checkpointId` completed everywhere (a Kafka reader commits its offsets for lag monitoring). */
  notifyCheckpointComplete?(checkpointId: number): void | Promise<void>;
  /**
   * Records each split has yet to read, as far as the reader knows (a Kafka
   * partition: its high watermark minus the next offset to emit). Read when
   * metrics are scraped (`brook_source_pending_records`); must be cheap.
   */
  pendingRecords?(): SplitBacklog[];
  /** Fetches from the external system so far (`brook_source_fetch_requests_total`...); read at scrape time. */
  fetchStats?(): SourceFetchStats;
  close?(): void | Promise<void>;
}

export interface SplitEnumeratorContext<S extends SourceSplit> {
  readonly parallelism: number;
  /** Bound to the job and the source operator. */
  readonly log?: Logger;
  assignSplits(subtask: number, splits: S[]): void;
  signalNoMoreSplits(subtask: number): void;
}

export interface SplitEnumerator<S extends SourceSplit> {
  start(): void | Promise<void>;
  /** A reader registered (at start, or after a restart). */
  addReader(subtask: number): void;
  /** Splits of a failed reader come back to be assigned again. */
  addSplitsBack(splits: S[], subtask: number): void;
  snapshotState(): unknown;
  close?(): void | Promise<void>;
}

export interface Source<T, S extends SourceSplit = SourceSplit> {
  readonly boundedness: 'bounded' | 'continuous';
  createEnumerator(context: SplitEnumeratorContext<S>): SplitEnumerator<S>;
  /**
   * The enumerator after a restore, given every split the checkpoint holds
   * (with positions): it deals them out and goes on discovering new ones (a
   * Kafka topic's new partitions). Without it the restored splits are dealt
   * round-robin and no more come.
   */
  restoreEnumerator?(context: SplitEnumeratorContext<S>, restored: S[]): SplitEnumerator<S>;
  createReader(context: SourceReaderContext): SourceReader<T, S>;
}

/** An enumerator for a fixed list of splits, dealt round-robin to readers. */
export function staticSplitEnumerator<S extends SourceSplit>(
  context: SplitEnumeratorContext<S>,
  splits: S[],
): SplitEnumerator<S> {
  const pending = new Map<number, S[]>();
  splits.forEach((split, i) => {
    const subtask = i % context.parallelism;
    pending.set(subtask, [...(pending.get(subtask) ?? []), split]);
  });
  return {
    start() {},
    addReader(subtask) {
      context.assignSplits(subtask, pending.get(subtask) ?? []);
      pending.delete(subtask);
      context.signalNoMoreSplits(subtask);
    },
    addSplitsBack(back, subtask) {
      pending.set(subtask, [...(pending.get(subtask) ?? []), ...back]);
    },
    snapshotState: () => [...pending.entries()],
  };
}
