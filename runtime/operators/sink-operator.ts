// Runs a sink's writer (and committer, for two-phase-committing sinks) inside a task.
import type { Sink, SinkContext, SinkWriter, Committer, CommittingSinkWriter } from '../connectors/sink.ts';
import { isStatefulWriter, isTwoPhaseCommitting } from '../connectors/sink.ts';
import { NO_TIMESTAMP } from '../execution/elements.ts';
import { CommitStats } from '../metrics/task-metrics.ts';
import { StreamOperator, type OperatorRestore, type OperatorSnapshot } from './operator.ts';
import { timestampOrUndefined } from './stateless.ts';

/** Operator list state holding the writers' own state; union, so each new writer sees every old one's. */
const WRITER_STATE = 'sink-writer-state';

export class SinkOperator extends StreamOperator {
  private writer!: SinkWriter<unknown>;
  private committer: Committer<unknown> | undefined;
  private pending: Promise<void>[] = [];
  /** Pre-committed, waiting for their checkpoint to complete; part of every snapshot until committed. */
  private readonly pendingCommits = new Map<number, unknown[]>();
  /** Pre-committed at the end of input, waiting for the next checkpoint to record them. */
  private committablesAtEnd: unknown[] = [];
  private currentTimestamp = NO_TIMESTAMP;
  private readonly context: SinkContext = {
    timestamp: () => timestampOrUndefined(this.currentTimestamp),
    currentWatermark: () => this.currentWatermark,
  };

  constructor(private readonly sink: Sink<unknown>) {
    super();
  }

  override async open(): Promise<void> {
    const s = this.setupInfo;
    const init = {
      jobName: s.jobName,
      operatorUid: s.operatorUid,
      subtaskIndex: s.subtaskIndex,
      parallelism: s.parallelism,
      // Read without registering: a sink whose writer keeps no state must leave no operator state behind.
      restoredWriterStates: [...(this.operatorState.lists.get(WRITER_STATE)?.values ?? [])],
      log: s.log,
    };
    this.writer = await this.sink.createWriter(init);
    if (isTwoPhaseCommitting(this.sink)) {
      this.committer = await this.sink.createCommitter(init);
      this.metrics.commits = new CommitStats();
    }
  }

  /** Commits through the committer, timed and counted for metrics. */
  private commit(committables: unknown[]): Promise<void> {
    return this.metrics.commits!.time(() => this.committer!.commit(committables));
  }

  processElement(value: unknown, timestamp: number): void {
    this.currentTimestamp = timestamp;
    const written = this.writer.write(value, this.context);
    if (written !== undefined) this.pending.push(written);
  }

  override processWatermark(timestamp: number): void {
    this.currentWatermark = timestamp;
  }

  override processWatermarkStatus(): void {}

  override pendingWork(): Promise<void> | undefined {
    if (this.pending.length === 0) return undefined;
    const batch = this.pending;
    this.pending = [];
    return Promise.all(batch).then(() => undefined);
  }

  /** Pre-commit at the barrier: what was written since the last checkpoint is sealed and remembered. */
  override async prepareSnapshotPreBarrier(checkpointId: number): Promise<void> {
    await this.pendingWork();
    await this.writer.flush?.(false);
    if (!this.committer) return;
    const committables = await (this.writer as CommittingSinkWriter<unknown, unknown>).prepareCommit();
    if (committables.length > 0) this.pendingCommits.set(checkpointId, committables);
  }

  override snapshotState(checkpointId: number): OperatorSnapshot {
    if (this.committablesAtEnd.length > 0) {
      // The first checkpoint after the end of input (Task.snapshotFinished) carries the last commits.
      // Merged: the same checkpoint may already hold what this sink pre-committed at its barrier.
      this.pendingCommits.set(checkpointId, [
        ...(this.pendingCommits.get(checkpointId) ?? []),
        ...this.committablesAtEnd,
      ]);
      this.committablesAtEnd = [];
    }
    if (isStatefulWriter(this.writer)) {
      this.operatorState.getUnionListState<unknown>(WRITER_STATE).update(this.writer.snapshotState(checkpointId));
    }
    const snapshot = super.snapshotState(checkpointId);
    snapshot.operator.committables = [...this.pendingCommits];
    return snapshot;
  }

  /** Committables restored from a checkpoint are committed again (commits are idempotent). */
  override restoreState(restore: OperatorRestore): void {
    super.restoreState(restore);
    // Entries of several old subtasks can share a checkpoint id (one instance redoes them all): merge, never replace.
    for (const [checkpointId, committables] of restore.operator.committables) {
      this.pendingCommits.set(checkpointId, [...(this.pendingCommits.get(checkpointId) ?? []), ...committables]);
    }
  }

  override async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    for (const [id, committables] of [...this.pendingCommits]) {
      if (id > checkpointId) continue;
      await this.commit(committables);
      this.pendingCommits.delete(id);
    }
  }

  /**
   * End of input: flush and pre-commit what is left. With checkpoints, it is
   * committed once a checkpoint taken after this point completes (the final
   * checkpoint of a bounded job at the latest), so a failure anywhere in the job
   * before then replays it without duplicates. Without checkpoints it commits now.
   */
  override async finish(): Promise<void> {
    await this.pendingWork();
    await this.writer.flush?.(true);
    if (!this.committer) return;
    const committables = await (this.writer as CommittingSinkWriter<unknown, unknown>).prepareCommit();
    if (this.setupInfo.checkpointing) {
      this.committablesAtEnd = committables;
      return;
    }
    for (const restored of this.pendingCommits.values()) await this.commit(restored);
    this.pendingCommits.clear();
    if (committables.length > 0) await this.commit(committables);
  }

  override async close(): Promise<void> {
    await this.writer?.close?.();
    await this.committer?.close?.();
  }
}
