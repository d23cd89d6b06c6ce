// The checkpoint coordinator of one job: triggers checkpoints at the sources on
// an interval, gathers every task's acknowledgement, writes the state files and
// then `_metadata` (the moment the checkpoint completes), tells every task it is
// complete (sinks commit), and keeps the newest `retained` checkpoints.
import { BrookError } from '../errors.ts';
import type { OperatorSnapshot } from '../operators/operator.ts';
import { writeKeyedState } from './keyed-state-file.ts';
import {
  METADATA_VERSION,
  writeMetadata,
  type KeyedStateHandle,
  type OperatorMetadata,
  type OperatorStateHandle,
} from './metadata.ts';
import { writeOperatorState } from './operator-state-file.ts';
import { checkpointDirectory } from './restore-selection.ts';
import { writeLatestPointer } from './latest-pointer.ts';
import type { CheckpointStorage } from './storage.ts';

export interface CheckpointSettings {
  intervalMs: number;
  mode: 'exactly-once' | 'at-least-once';
  timeoutMs: number;
  minPauseMs: number;
  /** Consecutive failed checkpoints tolerated before the job fails. */
  tolerableFailures: number;
  retained: number;
  /**
   * What happens to retained checkpoints when the job is cancelled (Flink's
   * externalized-checkpoint retention). They are always kept when the job fails
   * (to resume from) and when it finishes or stops with a savepoint.
   */
  onCancellation: 'retain' | 'delete';
}

export const defaultCheckpointSettings: Omit<CheckpointSettings, 'intervalMs'> = {
  mode: 'exactly-once',
  timeoutMs: 600_000,
  minPauseMs: 0,
  tolerableFailures: 0,
  retained: 1,
  // Kept by default: a cancelled job can still be resumed from its last checkpoint.
  onCancellation: 'retain',
};

/** A task as the coordinator sees it: which operators it runs (by uid) and how to reach it. */
export interface CoordinatedTask {
  subtask: number;
  operators: { uid: string; name: string; parallelism: number }[];
  isSource: boolean;
  isFinished(): boolean;
  /** `stop`: the barrier of a stop-with-savepoint, after which the task halts; `drain`: event time ends first. */
  trigger(checkpointId: number, stop: boolean, drain: boolean): void;
  notifyComplete(checkpointId: number): void;
  /** The stop-with-savepoint `checkpointId` failed: halted tasks carry on. */
  resumeAfterFailedStop(checkpointId: number): void;
  /**
   * A finished task's snapshot, taken on the coordinator's request (no barrier
   * reaches it). Undefined: the task is in another process and acknowledges
   * by itself (acknowledgeWritten).
   */
  snapshotFinished(checkpointId: number): OperatorSnapshot[] | undefined;
}

export interface CheckpointListener {
  started(checkpointId: number, kind: 'checkpoint' | 'savepoint', triggerTimestamp: number): void;
  completed(
    checkpointId: number,
    kind: 'checkpoint' | 'savepoint',
    details: {
      location: string;
      triggerTimestamp: number;
      stateSize: number;
      /** Bytes of state per operator (all subtasks). */
      operators?: { uid: string; name: string; stateSize: number }[];
    },
  ): void;
  failed(checkpointId: number, kind: 'checkpoint' | 'savepoint', reason: string): void;
}

/** Bytes of state an operator's handles point at. */
function operatorStateSize(operator: OperatorMetadata): number {
  let bytes = 0;
  for (const handle of operator.keyed) for (const group of handle.keyGroups) bytes += group.length;
  for (const handle of operator.operatorState) bytes += handle.length;
  return bytes;
}

/** One operator's part of a checkpoint, written by the task that took it. */
export interface WrittenOperatorState {
  keyed?: KeyedStateHandle;
  operatorState: OperatorStateHandle;
}

export class CheckpointFailedError extends BrookError {
  constructor(checkpointId: number, reason: string, options?: { cause?: unknown }) {
    super('BROOK_CHECKPOINT_FAILED', `checkpoint ${checkpointId} failed: ${reason}`, options);
  }
}

/** Where a checkpoint goes and what happens when it completes. */
interface Target {
  storage: CheckpointStorage;
  directory: string;
  kind: 'checkpoint' | 'savepoint';
  /** Tell tasks it completed (sinks commit); intermediate savepoints do not, as in Flink. */
  notify: boolean;
  /** Stop-with-savepoint: tasks halt after the barrier. */
  stop: boolean;
  /** With `stop`: sources end event time (MAX_WATERMARK) before the barrier (Flink's --drain). */
  drain?: boolean;
  done?: { resolve(result: { uri: string; checkpointId: number }): void; reject(error: Error): void };
}

interface Pending {
  id: number;
  target: Target;
  startedAt: number;
  acknowledged: Set<CoordinatedTask>;
  operators: Map<string, OperatorMetadata>;
  writes: Promise<void>[];
  timer: NodeJS.Timeout;
}

export class CheckpointCoordinator {
  private nextId: number;
  private pending: Pending | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastCompletedAt = 0;
  private consecutiveFailures = 0;
  private stopped = false;
  /** Checkpoints whose last writes (data, `_metadata`, old checkpoints' deletion) are under way. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Ids of completed checkpoints, oldest first. */
  readonly completed: number[] = [];
  /** Every completed checkpoint and savepoint with its duration (trigger to `_metadata` written). */
  readonly history: { checkpointId: number; kind: 'checkpoint' | 'savepoint'; durationMs: number }[] = [];
  /** Told where each checkpoint goes before any task is asked for its part (tasks in other processes write there). */
  onBegin: ((checkpointId: number, storage: CheckpointStorage, directory: string) => void) | undefined;
  /** Told of every checkpoint's start, completion and failure (job status, metrics); a listener that throws is ignored. */
  readonly listeners: CheckpointListener[] = [];

  constructor(
    /** Without an interval the coordinator takes savepoints only. */
    private readonly settings: Omit<CheckpointSettings, 'intervalMs'> & { intervalMs: number | undefined },
    private readonly storage: CheckpointStorage | undefined,
    private readonly jobId: string,
    private readonly maxParallelism: number,
    private readonly tasks: CoordinatedTask[],
    private readonly onJobFailure: (error: Error) => void,
    firstCheckpointId = 1,
  ) {
    this.nextId = firstCheckpointId;
  }

  /** The id the next checkpoint (or savepoint) will get; ids never repeat across restarts. */
  get nextCheckpointId(): number {
    return this.nextId;
  }

  start(): void {
    if (this.settings.intervalMs !== undefined) this.schedule(this.settings.intervalMs);
  }

  /**
   * Takes a savepoint into `directory` of `storage` (as soon as no checkpoint
   * runs); resolves with its URI. With `stop`, tasks halt after its barrier so
   * that nothing follows the savepoint; the caller then ends the job. Tasks
   * that finished take part with their final state, so a restore does not run
   * them again; refused once every source has finished (the job is ending).
   */
  triggerSavepoint(
    storage: CheckpointStorage,
    directory: string,
    stop: boolean,
    drain = false,
  ): Promise<{ uri: string; checkpointId: number }> {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        if (this.stopped) return reject(new BrookError('BROOK_JOB_NOT_RUNNING', 'the job is not running'));
        // Finished tasks take part with their final state (FLIP-147), but barriers start only at running
        // sources: without one, the rest of the job just drains to its end, and that end is no savepoint.
        if (!this.tasks.some((t) => t.isSource && !t.isFinished())) {
          return reject(
            new BrookError(
              'BROOK_JOB_FINISHING',
              'the job is finishing: every source has reached the end of its input, so no savepoint barrier can start; the job ends once the other tasks have processed what is left',
            ),
          );
        }
        if (this.pending) return void setTimeout(attempt, 10);
        // Intermediate savepoints commit nothing (as in Flink); the caller of a stop-with-savepoint commits once tasks halted.
        this.begin({ storage, directory, kind: 'savepoint', notify: false, stop, drain, done: { resolve, reject } });
      };
      attempt();
    });
  }

  /**
   * Stops triggering and waits for writes still in flight, so that nothing is
   * written into checkpoint storage after the job ended (a deletion on
   * cancellation, or the next attempt's restore, sees the final picture).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const inFlight = [...this.inFlight];
    if (this.pending) {
      clearTimeout(this.pending.timer);
      inFlight.push(...this.pending.writes);
      this.pending.target.done?.reject(
        new BrookError('BROOK_JOB_NOT_RUNNING', 'the job stopped before the savepoint completed'),
      );
    }
    this.pending = undefined;
    await Promise.allSettled(inFlight);
  }

  private schedule(delayMs: number | undefined): void {
    if (this.stopped || delayMs === undefined) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.trigger(), delayMs);
  }

  /** Starts the next checkpoint unless one runs or the job has finished. */
  private trigger(): void {
    if (this.stopped || this.pending) return;
    const sincePrevious = Date.now() - this.lastCompletedAt;
    if (sincePrevious < this.settings.minPauseMs) return this.schedule(this.settings.minPauseMs - sincePrevious);
    if (this.tasks.every((t) => t.isFinished()) || !this.storage) return;
    this.begin({ storage: this.storage, directory: '', kind: 'checkpoint', notify: true, stop: false });
  }

  private begin(target: Target): void {
    const id = this.nextId++;
    if (target.kind === 'checkpoint') target.directory = checkpointDirectory(this.jobId, id);
    this.pending = {
      id,
      target,
      startedAt: Date.now(),
      acknowledged: new Set(),
      operators: new Map(),
      writes: [],
      timer: setTimeout(
        () => this.fail(id, `not complete after ${this.settings.timeoutMs} ms`),
        this.settings.timeoutMs,
      ),
    };
    this.onBegin?.(id, target.storage, target.directory);
    const startedAt = this.pending.startedAt;
    this.tell((l) => l.started(id, target.kind, startedAt));
    for (const task of this.tasks) {
      // Finished tasks take part with their final state; barriers start at the sources still running.
      if (task.isFinished()) this.acknowledgeFinished(task, id);
      else if (task.isSource) task.trigger(id, target.stop, target.drain ?? false);
    }
  }

  /**
   * A task finished. If the running checkpoint still waits for it, no barrier
   * will come (its inputs ended first), so its final state is its part.
   */
  taskFinished(task: CoordinatedTask): void {
    const pending = this.pending;
    if (!pending || pending.acknowledged.has(task)) return;
    this.acknowledgeFinished(task, pending.id);
  }

  private acknowledgeFinished(task: CoordinatedTask, checkpointId: number): void {
    const snapshots = task.snapshotFinished(checkpointId);
    if (snapshots) this.acknowledge(task, checkpointId, snapshots);
  }

  /** Where the task of another process writes its part of checkpoint `checkpointId`; undefined once it is over. */
  targetOf(checkpointId: number): { storage: CheckpointStorage; directory: string } | undefined {
    const pending = this.pending;
    if (!pending || pending.id !== checkpointId) return undefined;
    return { storage: pending.target.storage, directory: pending.target.directory };
  }

  /**
   * The checkpoint after every task finished: it records what sinks
   * pre-committed at the end of their input, so their commits (run when it
   * completes) can be repeated after a failure instead of replaying input.
   */
  finalCheckpoint(): Promise<void> {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        if (this.stopped || !this.storage) return resolve();
        if (this.pending) return void setTimeout(attempt, 5);
        clearTimeout(this.timer);
        this.begin({
          storage: this.storage,
          directory: '',
          kind: 'checkpoint',
          notify: true,
          stop: false,
          done: { resolve: () => resolve(), reject },
        });
      };
      attempt();
    });
  }

  /**
   * A task took its part of checkpoint `checkpointId`. Operator state is
   * serialised now; keyed state was captured copy-on-write and is serialised
   * and written in the background while the task goes on.
   */
  acknowledge(task: CoordinatedTask, checkpointId: number, snapshots: OperatorSnapshot[]): void {
    const pending = this.pending;
    if (!pending || pending.id !== checkpointId) {
      // A late acknowledgement of an aborted checkpoint: nothing will read its state.
      for (const snapshot of snapshots) snapshot.keyed.release();
      return;
    }
    const { storage, directory } = pending.target;
    snapshots.forEach((snapshot, i) => {
      const { uid } = task.operators[i]!;
      this.record(
        pending,
        task,
        i,
        snapshot.keyed.keyGroups.length > 0
          ? writeKeyedState(storage, directory, uid, task.subtask, snapshot.keyed)
          : undefined,
        writeOperatorState(storage, directory, uid, task.subtask, snapshot.operator),
      );
    });
    this.acknowledged(pending, task);
  }

  /**
   * A task of another process took its part of checkpoint `checkpointId` and
   * wrote its state files itself (as Flink's TaskManagers do): only the
   * handles travel, one per operator of its chain, head first.
   */
  acknowledgeWritten(task: CoordinatedTask, checkpointId: number, parts: WrittenOperatorState[]): void {
    const pending = this.pending;
    if (!pending || pending.id !== checkpointId || pending.acknowledged.has(task)) return;
    parts.forEach((part, i) =>
      this.record(pending, task, i, part.keyed && Promise.resolve(part.keyed), Promise.resolve(part.operatorState)),
    );
    this.acknowledged(pending, task);
  }

  /** A task could not take its part (for example its state files failed to write): the checkpoint fails. */
  decline(checkpointId: number, reason: string): void {
    this.fail(checkpointId, reason);
  }

  private record(
    pending: Pending,
    task: CoordinatedTask,
    operatorIndex: number,
    keyed: Promise<KeyedStateHandle> | undefined,
    operatorState: Promise<OperatorStateHandle>,
  ): void {
    const { uid, name, parallelism } = task.operators[operatorIndex]!;
    let entry = pending.operators.get(uid);
    if (!entry) {
      entry = { uid, name, parallelism, keyed: [], operatorState: [] };
      pending.operators.set(uid, entry);
    }
    const record = entry;
    if (keyed) pending.writes.push(keyed.then((handle) => void record.keyed.push(handle)));
    pending.writes.push(operatorState.then((handle) => void record.operatorState.push(handle)));
  }

  private acknowledged(pending: Pending, task: CoordinatedTask): void {
    pending.acknowledged.add(task);
    if (pending.acknowledged.size === this.tasks.length) {
      const completing = this.complete(pending);
      this.inFlight.add(completing);
      void completing.finally(() => this.inFlight.delete(completing));
    }
  }

  private async complete(pending: Pending): Promise<void> {
    try {
      await Promise.all(pending.writes);
      if (this.pending !== pending) return;
      const operators = [...pending.operators.values()].map((o) => ({
        ...o,
        keyed: [...o.keyed].sort((a, b) => a.subtask - b.subtask),
        operatorState: [...o.operatorState].sort((a, b) => a.subtask - b.subtask),
      }));
      await writeMetadata(pending.target.storage, pending.target.directory, {
        version: METADATA_VERSION,
        jobId: this.jobId,
        checkpointId: pending.id,
        kind: pending.target.kind,
        timestamp: pending.startedAt,
        maxParallelism: this.maxParallelism,
        operators,
      });
    } catch (error) {
      this.fail(pending.id, (error as Error).message, error);
      return;
    }
    if (this.pending !== pending) {
      // Published after it was abandoned (the job stopped, or it timed out, while `_metadata` was
      // being written): it is complete in storage, so it counts against retention all the same.
      if (pending.target.kind === 'checkpoint') {
        this.completed.push(pending.id);
        this.completed.sort((a, b) => a - b); // a newer one may have completed meanwhile
        await this.dropOldCheckpoints();
      }
      return;
    }
    clearTimeout(pending.timer);
    this.pending = undefined;
    this.consecutiveFailures = 0;
    this.lastCompletedAt = Date.now();
    const { target } = pending;
    this.history.push({
      checkpointId: pending.id,
      kind: target.kind,
      durationMs: this.lastCompletedAt - pending.startedAt,
    });
    const operators = [...pending.operators.values()].map((o) => ({
      uid: o.uid,
      name: o.name,
      stateSize: operatorStateSize(o),
    }));
    this.tell((l) =>
      l.completed(pending.id, target.kind, {
        location: target.storage.uriOf(target.directory),
        triggerTimestamp: pending.startedAt,
        stateSize: operators.reduce((sum, o) => sum + o.stateSize, 0),
        operators,
      }),
    );
    if (target.notify) for (const task of this.tasks) task.notifyComplete(pending.id);
    target.done?.resolve({ uri: target.storage.uriOf(target.directory), checkpointId: pending.id });
    if (target.kind === 'checkpoint') {
      this.completed.push(pending.id);
      // Best effort: the pointer serves readers outside the job; restores go by the listing.
      await writeLatestPointer(target.storage, this.jobId, {
        checkpointId: pending.id,
        location: target.storage.uriOf(target.directory),
        timestamp: this.lastCompletedAt,
      }).catch(() => {});
      await this.dropOldCheckpoints();
    }
    this.schedule(this.settings.intervalMs);
  }

  /** Reporting never fails a checkpoint: a listener's error is its own. */
  private tell(event: (listener: CheckpointListener) => void): void {
    for (const listener of this.listeners) {
      try {
        event(listener);
      } catch {
        // ignored: job status and metrics must not decide a checkpoint's fate
      }
    }
  }

  private async dropOldCheckpoints(): Promise<void> {
    while (this.completed.length > this.settings.retained) {
      const id = this.completed.shift()!;
      await this.storage!.deleteAll(`${checkpointDirectory(this.jobId, id)}/`).catch(() => {});
    }
  }

  private fail(checkpointId: number, reason: string, cause?: unknown): void {
    if (!this.pending || this.pending.id !== checkpointId) return;
    const kind = this.pending.target.kind;
    this.tell((l) => l.failed(checkpointId, kind, reason));
    const { target } = this.pending;
    clearTimeout(this.pending.timer);
    this.pending = undefined;
    if (target.stop) for (const task of this.tasks) task.resumeAfterFailedStop(checkpointId);
    if (target.done) {
      // A failed savepoint fails its request, not the job; the final checkpoint's caller decides.
      target.done.reject(new CheckpointFailedError(checkpointId, reason, { cause }));
      this.schedule(this.settings.intervalMs);
      return;
    }
    this.consecutiveFailures++;
    if (this.consecutiveFailures > this.settings.tolerableFailures) {
      this.onJobFailure(new CheckpointFailedError(checkpointId, reason, { cause }));
      return;
    }
    this.schedule(this.settings.intervalMs);
  }
}
