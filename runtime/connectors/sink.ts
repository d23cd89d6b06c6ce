// The sink interface (Flink's Sink V2 shape). A plain sink writes; a
// two-phase-committing sink also hands over "committables" on pre-commit and
// makes them visible only in `commit`: on checkpoint completion once
// checkpoints exist, and at the end of a bounded job.
import type { Logger } from '../logging/logger.ts';

export interface SinkContext {
  /** The record's event timestamp, if it has one. */
  timestamp(): number | undefined;
  currentWatermark(): number;
}

export interface SinkInitContext {
  readonly jobName: string;
  readonly operatorUid: string;
  readonly subtaskIndex: number;
  readonly parallelism: number;
  /**
   * What every writer of the run restored from returned from snapshotState
   * (all old subtasks', at any old parallelism); empty on a fresh start. A
   * Kafka writer finds here the transactional ids a crashed run may have left open.
   */
  readonly restoredWriterStates: readonly unknown[];
  /** Bound to the job, task, operator and subtask: a connector logs through `logger('kafka', context.log)`. */
  readonly log?: Logger;
}

export interface SinkWriter<T> {
  /**
   * Writes one record. A returned promise makes the task wait for it before its
   * next batch, so a slow sink slows its sources instead of buffering without bound.
   */
  write(value: T, context: SinkContext): void | Promise<void>;
  /** Flushes buffered writes; `endOfInput` is true for the last call of a bounded job. */
  flush?(endOfInput: boolean): void | Promise<void>;
  close?(): void | Promise<void>;
}

/** A writer with state of its own, stored in checkpoints and handed to every writer on restore (Flink's StatefulSinkWriter). */
export interface StatefulSinkWriter<T, S> extends SinkWriter<T> {
  /** Called at each checkpoint after the pre-commit; must describe this writer only. */
  snapshotState(checkpointId: number): S[];
}

export function isStatefulWriter<T>(writer: SinkWriter<T>): writer is StatefulSinkWriter<T, unknown> {
  return typeof (writer as Partial<StatefulSinkWriter<T, unknown>>).snapshotState === 'function';
}

export interface Sink<T> {
  createWriter(context: SinkInitContext): SinkWriter<T> | Promise<SinkWriter<T>>;
}

export interface CommittingSinkWriter<T, C> extends SinkWriter<T> {
  /** Pre-commit: flush, seal what was written since the last call, and describe it. */
  prepareCommit(): C[] | Promise<C[]>;
}

export interface Committer<C> {
  /** Makes the committables visible. Must be idempotent: it is repeated after a restore. */
  commit(committables: C[]): Promise<void>;
  close?(): void | Promise<void>;
}

export interface TwoPhaseCommittingSink<T, C> extends Sink<T> {
  createWriter(context: SinkInitContext): CommittingSinkWriter<T, C> | Promise<CommittingSinkWriter<T, C>>;
  createCommitter(context: SinkInitContext): Committer<C> | Promise<Committer<C>>;
}

export function isTwoPhaseCommitting<T>(sink: Sink<T>): sink is TwoPhaseCommittingSink<T, unknown> {
  return typeof (sink as Partial<TwoPhaseCommittingSink<T, unknown>>).createCommitter === 'function';
}
