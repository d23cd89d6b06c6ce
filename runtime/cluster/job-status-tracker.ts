// The live status of one job, as the REST API reports it: state transitions
// with their timestamps, restarts, the exception history and checkpoint
// records. Fed with events by whoever runs the job (the mini-cluster of
// `brook run`, the JobManager); knows nothing about how jobs run.
import type {
  CheckpointRecord,
  CheckpointStats,
  ExceptionRecord,
  JobEdgeInfo,
  JobInfo,
  JobState,
  VertexInfo,
} from './jobs-backend.ts';
import { canTransition, exceptionRecordOf, isTerminal, terminalStateFor, type JobOutcome } from './job-status.ts';

export interface TrackedJob {
  /** 32 lowercase hex characters. */
  id: string;
  name: string;
  vertices: VertexInfo[];
  edges: JobEdgeInfo[];
  maxParallelism: number;
}

export interface JobStatusTrackerOptions {
  now?: () => number;
  /** Checkpoint records kept in the history (Flink's web.checkpoints.history: 10). */
  checkpointHistorySize?: number;
  /** Failures kept in the exception history (Flink's web.exception-history-size: 16). */
  exceptionHistorySize?: number;
}

/**
 * Status of one job, updated by events and read by the REST API.
 *
 * @example
 * const tracker = new JobStatusTracker({ id, name: 'clicks', vertices, edges, maxParallelism: 128 })
 * tracker.attemptStarted(0)                  // RUNNING
 * tracker.checkpointCompleted({ id: 1, isSavepoint: false, ... })
 * tracker.ended('finished')                  // FINISHED
 */
export class JobStatusTracker {
  private readonly now: () => number;
  private readonly historySize: number;
  private readonly exceptionHistorySize: number;
  private current: JobState = 'CREATED';
  private readonly timestamps: Partial<Record<JobState, number>>;
  private readonly startTime: number;
  private endTime: number | undefined;
  private restarts = 0;
  /** Newest first. */
  private history: CheckpointRecord[] = [];
  private readonly latest: CheckpointStats['latest'] = {};
  private readonly counts = { restored: 0, completed: 0, failed: 0 };
  private readonly inProgress = new Map<number, CheckpointRecord>();
  private restored: CheckpointStats['restored'];
  /** Newest first. */
  private failures: ExceptionRecord[] = [];

  constructor(
    private readonly job: TrackedJob,
    options: JobStatusTrackerOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.historySize = options.checkpointHistorySize ?? 10;
    this.exceptionHistorySize = options.exceptionHistorySize ?? 16;
    this.startTime = this.now();
    this.timestamps = { CREATED: this.startTime };
  }

  get id(): string {
    return this.job.id;
  }

  get state(): JobState {
    return this.current;
  }

  /** Moves to `to` if Flink's state graph allows it; returns whether it did. */
  transition(to: JobState): boolean {
    if (!canTransition(this.current, to)) return false;
    const at = this.now();
    this.current = to;
    this.timestamps[to] = at;
    if (isTerminal(to)) {
      this.endTime = at;
      this.failPending('the job ended before it completed');
    }
    return true;
  }

  /** An attempt started running (0 first, then one after every restart), restoring `restoredFrom` if given. */
  attemptStarted(
    attempt: number,
    restoredFrom?: { checkpointId: number; location: string; isSavepoint: boolean },
  ): void {
    if (attempt > 0) this.failPending('the job restarted before it completed');
    if (restoredFrom) {
      this.counts.restored++;
      this.restored = {
        id: restoredFrom.checkpointId,
        externalPath: restoredFrom.location,
        isSavepoint: restoredFrom.isSavepoint,
        restoreTimestamp: this.now(),
      };
    }
    this.transition('RUNNING');
  }

  /** The job failed and will be restarted. */
  restarting(failure: unknown, where?: { taskName?: string; location?: string }): void {
    this.recordFailure(failure, where);
    this.failPending('the job failed before it completed');
    this.restarts++;
    this.transition('RESTARTING');
  }

  /**
   * The job had ended before this process started (a JobManager restarted after its job's end finds the
   * marker in storage): it is shown in the state it ended in, at the time it ended, as Flink shows a job
   * recovered from its JobResultStore.
   */
  endedEarlier(state: 'FINISHED' | 'CANCELED' | 'FAILED', at: number): void {
    if (isTerminal(this.current)) return;
    this.current = state;
    this.timestamps[state] = at;
    this.endTime = at;
  }

  /** Cancellation was requested (it completes with `ended('cancelled')`). */
  cancelling(): boolean {
    return this.transition('CANCELLING');
  }

  /** The job ended; a failure is recorded in the exception history. */
  ended(outcome: JobOutcome, failure?: unknown, where?: { taskName?: string; location?: string }): void {
    if (isTerminal(this.current)) return;
    if (outcome === 'failed') {
      if (failure !== undefined) this.recordFailure(failure, where);
      this.transition('FAILING');
    }
    this.transition(terminalStateFor(this.current, outcome));
  }

  recordFailure(failure: unknown, where?: { taskName?: string; location?: string }): void {
    this.failures = [exceptionRecordOf(failure, this.now(), where), ...this.failures].slice(
      0,
      this.exceptionHistorySize,
    );
  }

  /**
   * Checkpoint (or savepoint) `id` is under way. Checkpoints run one at a
   * time, so one still in progress when a newer one starts has failed.
   */
  checkpointStarted(event: { id: number; isSavepoint: boolean; triggerTimestamp?: number }): void {
    if (this.inProgress.has(event.id) || this.history.some((r) => r.id === event.id)) return;
    for (const [id, record] of this.inProgress) {
      if (id < event.id) this.markFailed(record, `superseded by checkpoint ${event.id} before it completed`);
    }
    const record: CheckpointRecord = {
      id: event.id,
      kind: event.isSavepoint ? 'savepoint' : 'checkpoint',
      status: 'IN_PROGRESS',
      triggerTimestamp: event.triggerTimestamp ?? this.now(),
    };
    this.inProgress.set(event.id, record);
    this.remember(record);
  }

  checkpointCompleted(event: {
    id: number;
    isSavepoint: boolean;
    triggerTimestamp: number;
    stateSize: number;
    externalPath: string;
  }): void {
    let record = this.inProgress.get(event.id) ?? this.history.find((r) => r.id === event.id);
    if (record?.status === 'COMPLETED') return;
    if (record?.status === 'FAILED') {
      // Taken for failed (superseded), then published after all: complete in storage, so complete here.
      this.counts.failed--;
      if (this.latest.failed === record) this.latest.failed = undefined;
    }
    if (!record) {
      record = { id: event.id, kind: 'checkpoint', status: 'IN_PROGRESS', triggerTimestamp: event.triggerTimestamp };
      this.remember(record);
    }
    this.inProgress.delete(event.id);
    Object.assign(record, {
      kind: event.isSavepoint ? 'savepoint' : 'checkpoint',
      status: 'COMPLETED',
      triggerTimestamp: event.triggerTimestamp,
      endTimestamp: this.now(),
      stateSize: event.stateSize,
      externalPath: event.externalPath,
      failureMessage: undefined,
    } satisfies Partial<CheckpointRecord>);
    this.counts.completed++;
    if (record.kind === 'savepoint') this.latest.savepoint = newer(this.latest.savepoint, record);
    else this.latest.completed = newer(this.latest.completed, record);
  }

  checkpointFailed(event: { id: number; isSavepoint: boolean; message: string }): void {
    let record = this.inProgress.get(event.id) ?? this.history.find((r) => r.id === event.id);
    if (record && record.status !== 'IN_PROGRESS') return;
    if (!record) {
      record = {
        id: event.id,
        kind: event.isSavepoint ? 'savepoint' : 'checkpoint',
        status: 'IN_PROGRESS',
        triggerTimestamp: this.now(),
      };
      this.remember(record);
    }
    this.markFailed(record, event.message);
  }

  /** Files under `locationPrefix` were deleted (retention, or cancellation with delete): those checkpoints are discarded. */
  checkpointsDiscarded(locationPrefix: string): void {
    const prefix = locationPrefix.endsWith('/') ? locationPrefix : `${locationPrefix}/`;
    const records = new Set([...this.history, ...Object.values(this.latest)]);
    for (const record of records) {
      if (record?.externalPath !== undefined && `${record.externalPath}/`.startsWith(prefix)) record.discarded = true;
    }
  }

  info(): JobInfo {
    return {
      id: this.job.id,
      name: this.job.name,
      state: this.current,
      timestamps: { ...this.timestamps },
      startTime: this.startTime,
      endTime: this.endTime,
      restarts: this.restarts,
      vertices: this.job.vertices,
      edges: this.job.edges,
      maxParallelism: this.job.maxParallelism,
    };
  }

  checkpoints(): CheckpointStats {
    const inProgress = this.inProgress.size;
    const copy = (r: CheckpointRecord | undefined) => r && { ...r };
    return {
      counts: {
        restored: this.counts.restored,
        total: this.counts.completed + this.counts.failed + inProgress,
        inProgress,
        completed: this.counts.completed,
        failed: this.counts.failed,
      },
      history: this.history.map((r) => ({ ...r })),
      latest: {
        completed: copy(this.latest.completed),
        savepoint: copy(this.latest.savepoint),
        failed: copy(this.latest.failed),
      },
      restored: this.restored && { ...this.restored },
    };
  }

  /** Newest first. */
  exceptions(): ExceptionRecord[] {
    return [...this.failures];
  }

  private remember(record: CheckpointRecord): void {
    this.history = [record, ...this.history].sort((a, b) => b.id - a.id).slice(0, this.historySize);
  }

  private markFailed(record: CheckpointRecord, message: string): void {
    this.inProgress.delete(record.id);
    record.status = 'FAILED';
    record.endTimestamp = this.now();
    record.failureMessage = message;
    this.counts.failed++;
    this.latest.failed = newer(this.latest.failed, record);
  }

  private failPending(message: string): void {
    for (const record of this.inProgress.values()) this.markFailed(record, message);
  }
}

function newer(a: CheckpointRecord | undefined, b: CheckpointRecord): CheckpointRecord {
  return a && a.id > b.id ? a : b;
}
