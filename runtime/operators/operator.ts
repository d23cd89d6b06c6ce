// The operator contract between a task and the code it runs: records, watermarks
// and end of input go in; records, side outputs and watermarks come out through
// `output`. Operators are classes: they have a lifecycle (STYLE.md #6).
import type { RuntimeContext } from '../api/runtime-context.ts';
import type { RichFunction } from '../api/functions.ts';
import { BrookError } from '../errors.ts';
import type { Output } from '../execution/output.ts';
import { MIN_WATERMARK } from '../execution/elements.ts';
import type { KeyGroupRange } from '../state/key-groups.ts';
import type { Key } from '../state/key.ts';
import { HeapOperatorStateStore, type OperatorListMode } from '../state/operator-state.ts';
import type { DisposableStateStores } from '../state/state-backend.ts';
import { EMPTY_KEYED_SNAPSHOT, type KeyGroupSnapshot, type KeyedStateSnapshot } from '../state/keyed-snapshot.ts';
import type { KeyedStateAccess } from '../state/state-access.ts';
import type { ProcessingTimeClock } from '../time/processing-time.ts';
import { logger, type Logger } from '../logging/logger.ts';
import { OperatorMetrics } from '../metrics/task-metrics.ts';
import { OperatorMetricGroup } from '../metrics/user-metrics.ts';

/** What the task gives an operator before it opens. */
export interface OperatorSetup {
  jobName: string;
  operatorName: string;
  operatorUid: string;
  subtaskIndex: number;
  parallelism: number;
  maxParallelism: number;
  keyGroupRange: KeyGroupRange;
  output: Output;
  clock: ProcessingTimeClock;
  /** Runs `callback` in the task's mailbox at processing time `timestamp`; returns a cancel function. */
  scheduleAt(timestamp: number, callback: () => void): () => void;
  /** Whether the job takes checkpoints: then sinks commit only what a completed checkpoint recorded. */
  checkpointing?: boolean;
  /** Opens where keyed state lives (absent: the heap). Keyed operators call it once and dispose it on close. */
  openStateStores?: () => DisposableStateStores;
  /** Log context of this operator instance: job, task, operator (name and uid), subtask. */
  log?: Logger;
}

/** Per-subtask state that is not keyed: small, stored whole, redistributed on restore. */
export interface OperatorStateSnapshot {
  /** Operator list states by name: 'split' lists are divided among instances on restore, 'union' lists given to all. */
  lists: Record<string, { mode: OperatorListMode; values: unknown[] }>;
  /** Broadcast states by name (identical on every instance). */
  broadcast: Record<string, [unknown, unknown][]>;
  /** Source splits with their positions. */
  splits: unknown[];
  /** Sink committables pre-committed for checkpoints not yet known to be complete. */
  committables: [checkpointId: number, committables: unknown[]][];
}

export function emptyOperatorState(): OperatorStateSnapshot {
  return { lists: {}, broadcast: {}, splits: [], committables: [] };
}

/** What an operator instance contributes to a checkpoint. */
export interface OperatorSnapshot {
  /** Read after the task moved on (asynchronous part of the checkpoint). */
  keyed: KeyedStateSnapshot;
  operator: OperatorStateSnapshot;
}

/** What an operator instance gets back on restore (already redistributed for its subtask). */
export interface OperatorRestore {
  keyed: KeyGroupSnapshot[];
  operator: OperatorStateSnapshot;
}

export class KeyedStateUnavailableError extends BrookError {
  constructor(operatorName: string) {
    super(
      'BROOK_KEYED_STATE_UNAVAILABLE',
      `operator '${operatorName}' is not keyed: keyed state and timers need a keyed stream (use keyBy first)`,
    );
  }
}

export abstract class StreamOperator {
  protected setupInfo!: OperatorSetup;
  protected output!: Output;
  protected currentWatermark = MIN_WATERMARK;
  readonly operatorState = new HeapOperatorStateStore();
  /** Counted by the task and the chain as records and watermarks pass; read when metrics are scraped. */
  readonly metrics = new OperatorMetrics();

  setup(setup: OperatorSetup): void {
    this.setupInfo = setup;
    this.output = setup.output;
    // Until the task is registered with a metrics registry, user metrics count without being exported.
    this.metrics.user = new OperatorMetricGroup(
      `operator '${setup.operatorName}' (uid '${setup.operatorUid}', subtask ${setup.subtaskIndex})`,
    );
  }

  get name(): string {
    return this.setupInfo.operatorName;
  }

  open(): void | Promise<void> {}

  abstract processElement(value: unknown, timestamp: number): void;

  processElement2(_value: unknown, _timestamp: number): void {
    throw new Error(`operator '${this.name}' has one input`);
  }

  /** The combined watermark of all inputs advanced. Keyed operators fire timers first. */
  processWatermark(timestamp: number): void {
    this.currentWatermark = timestamp;
    this.output.emitWatermark(timestamp);
  }

  processWatermarkStatus(idle: boolean): void {
    this.output.emitWatermarkStatus(idle);
  }

  /** End of input: emit what is still buffered. May return a promise (sinks flushing). */
  finish(): void | Promise<void> {}

  close(): void | Promise<void> {}

  /** The key being processed, for error messages; undefined on non-keyed operators. */
  currentKey(): Key | undefined {
    return undefined;
  }

  /** Work the task must await before the next batch (an asynchronous sink's writes). */
  pendingWork(): Promise<void> | undefined {
    return undefined;
  }

  /** Work before the barrier goes on, such as a sink flushing and pre-committing. */
  prepareSnapshotPreBarrier(_checkpointId: number): void | Promise<void> {}

  /**
   * Captures this instance's state for checkpoint `checkpointId`. The returned data
   * must not change afterwards (it is serialised before the task moves on).
   */
  snapshotState(_checkpointId: number): OperatorSnapshot {
    const snapshot: OperatorSnapshot = { keyed: EMPTY_KEYED_SNAPSHOT, operator: emptyOperatorState() };
    for (const [name, list] of this.operatorState.lists) {
      snapshot.operator.lists[name] = { mode: list.mode, values: [...list.values] };
    }
    return snapshot;
  }

  /** Loads restored state; called after setup, before open. */
  restoreState(restore: OperatorRestore): void {
    for (const [name, list] of Object.entries(restore.operator.lists)) {
      this.operatorState.lists.set(name, { mode: list.mode, values: [...list.values] });
    }
  }

  /** Checkpoint `checkpointId` is complete everywhere: side effects tied to it may become visible. */
  notifyCheckpointComplete(_checkpointId: number): void | Promise<void> {}

  /** The runtime context handed to a user function's `open`. */
  protected runtimeContext(keyedState?: KeyedStateAccess): RuntimeContext {
    const s = this.setupInfo;
    const unavailable = (): never => {
      throw new KeyedStateUnavailableError(s.operatorName);
    };
    const keyed: KeyedStateAccess = keyedState ?? {
      getState: unavailable,
      getListState: unavailable,
      getMapState: unavailable,
      getReducingState: unavailable,
      getAggregatingState: unavailable,
    };
    return {
      ...keyed,
      jobName: s.jobName,
      operatorName: s.operatorName,
      operatorUid: s.operatorUid,
      subtaskIndex: s.subtaskIndex,
      parallelism: s.parallelism,
      maxParallelism: s.maxParallelism,
      metrics: this.metrics.user,
      log: logger('job', s.log),
      getOperatorStateStore: () => this.operatorState,
    };
  }
}

/** Opens and closes a user function that may have the RichFunction hooks. */
export async function openFunction(fn: unknown, context: RuntimeContext): Promise<void> {
  const rich = fn as RichFunction;
  if (typeof rich?.open === 'function') await rich.open(context);
}

export async function closeFunction(fn: unknown): Promise<void> {
  const rich = fn as RichFunction;
  if (typeof rich?.close === 'function') await rich.close();
}
