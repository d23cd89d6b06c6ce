// What the REST API (JobManager port 8081) needs from whoever runs jobs: the
// JobManager process, or the mini-cluster of `brook run`. The REST layer owns
// HTTP, JSON shapes, trigger ids and their results; a backend owns the jobs.
import type { SubtaskSample } from './figures-store.ts';

/** Flink's job states, in the order its JobStatus lists them. */
export const jobStates = [
  'CREATED',
  'RUNNING',
  'RESTARTING',
  'FAILING',
  'FAILED',
  'CANCELLING',
  'CANCELED',
  'FINISHED',
  'SUSPENDED',
] as const;

export type JobState = (typeof jobStates)[number];

/** Every state of Flink's JobStatus, in its order (a backend reports only `jobStates`). */
export const allJobStates = [
  'INITIALIZING',
  'CREATED',
  'RUNNING',
  'FAILING',
  'FAILED',
  'CANCELLING',
  'CANCELED',
  'FINISHED',
  'RESTARTING',
  'SUSPENDED',
  'RECONCILING',
] as const;

export const terminalJobStates: ReadonlySet<JobState> = new Set(['FAILED', 'CANCELED', 'FINISHED', 'SUSPENDED']);

export interface VertexInfo {
  /** Stable id of the job vertex (the uid of its head operator). */
  id: string;
  name: string;
  parallelism: number;
  /** The uids of the operators chained in this vertex, head first. */
  operatorUids: string[];
}

export interface JobEdgeInfo {
  source: string;
  target: string;
  /** forward, rebalance, hash (keyBy), broadcast, global... */
  partitioning: string;
}

export interface JobInfo {
  /** 32 lowercase hex characters, as Flink's JobID. */
  id: string;
  name: string;
  state: JobState;
  /** Epoch milliseconds of each state the job entered (the latest entry per state). */
  timestamps: Partial<Record<JobState, number>>;
  startTime: number;
  /** Set once the job reached a terminal state. */
  endTime?: number;
  restarts: number;
  vertices: VertexInfo[];
  edges: JobEdgeInfo[];
  maxParallelism: number;
}

export interface CheckpointRecord {
  id: number;
  kind: 'checkpoint' | 'savepoint';
  status: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  triggerTimestamp: number;
  /** Set once completed or failed. */
  endTimestamp?: number;
  /** Bytes written (state files + metadata), once completed. */
  stateSize?: number;
  /** Where it is, once completed. */
  externalPath?: string;
  failureMessage?: string;
  /** A completed checkpoint whose files were deleted since (retention, or cancellation). */
  discarded?: boolean;
}

export interface CheckpointStats {
  counts: { restored: number; total: number; inProgress: number; completed: number; failed: number };
  /** Newest first; bounded (the backend keeps a fixed number). */
  history: CheckpointRecord[];
  /** The newest of each kind, also when it has left the bounded history. */
  latest: { completed?: CheckpointRecord; savepoint?: CheckpointRecord; failed?: CheckpointRecord };
  /** The checkpoint or savepoint the current attempt restored from. */
  restored?: { id: number; externalPath: string; isSavepoint: boolean; restoreTimestamp: number };
}

export interface ExceptionRecord {
  /** Class-like name of the error (its `name`, or its Brook code). */
  exceptionName: string;
  message: string;
  /** Stack with the cause chain. */
  stacktrace: string;
  timestamp: number;
  /** Which task failed, when known, e.g. "Keyed count (2/3)". */
  taskName?: string;
  /** The TaskManager (or process) it failed on, when known. */
  location?: string;
}

export interface TaskManagerInfo {
  id: string;
  /** host:port of its data exchange endpoint. */
  dataAddress: string;
  slotsNumber: number;
  freeSlots: number;
  /** Epoch ms of the last heartbeat received. */
  lastHeartbeat: number;
}

export class UnknownJobError extends Error {
  constructor(readonly jobId: string) {
    super(`job ${jobId} not found`);
  }
}

/** A savepoint or stop is refused because the job is not in a state that allows it (HTTP 409). */
export class JobConflictError extends Error {}

export interface JobsBackend {
  /** Every job this process knows (running or ended), oldest first. */
  jobs(): JobInfo[];
  checkpoints(jobId: string): CheckpointStats;
  /** Newest first. */
  exceptions(jobId: string): ExceptionRecord[];
  taskManagers(): TaskManagerInfo[];
  /** The latest counters of every subtask of the job's running (or last) attempt; empty before any arrived. */
  figures(jobId: string): SubtaskSample[];
  /**
   * Takes a savepoint into `targetDirectory` (or the configured default) and
   * resolves with its location; with `cancelJob` the job then stops.
   * Rejects with UnknownJobError / JobConflictError / any failure of the savepoint.
   */
  triggerSavepoint(jobId: string, request: { targetDirectory?: string; cancelJob: boolean }): Promise<string>;
  /** Stop with savepoint; `drain` first ends the input (MAX_WATERMARK) as Flink's --drain. */
  stopWithSavepoint(jobId: string, request: { targetDirectory?: string; drain: boolean }): Promise<string>;
  /** Cancels the job; resolves when the cancellation has been accepted (not when it ends). */
  cancel(jobId: string): Promise<void>;
}
