// The control protocol between the JobManager and its TaskManagers. A
// TaskManager registers and heartbeats; the JobManager deploys an attempt of
// the job (every TaskManager builds the same job graph from the same module
// and runs its slot's subtasks), relays checkpoints, splits and the end of
// the attempt. Every attempt-scoped message names its attempt, so anything
// late from an attempt that ended is recognised and dropped.
import type { BrookConfig } from '../config/schema.ts';
import type { WrittenOperatorState } from '../checkpoint/coordinator.ts';
import type { SourceSplit } from '../connectors/source.ts';
import type { Address } from '../network/data-exchange.ts';
import type { SubtaskFigures } from '../metrics/subtask-figures.ts';
import { BrookError } from '../errors.ts';

/** What every process needs to build the same job graph. */
export interface JobSpec {
  name: string;
  /** Path of the job module (the same in every image). */
  path: string;
  args: string[];
  /** The JobManager's validated configuration (plain data). */
  settings: BrookConfig;
}

export interface Deployment {
  jobId: string;
  attempt: number;
  job: JobSpec;
  /** This TaskManager's slot: it runs subtask i of a vertex where i % peers.length === slot. */
  slot: number;
  /** The data-exchange address of the TaskManager in each slot. */
  peers: Address[];
  /** The checkpoint or savepoint directory to restore from. */
  restore?: { location: string; allowNonRestoredState: boolean };
}

/** One subtask of one job vertex. */
export interface TaskRef {
  vertex: number;
  subtask: number;
}

/** An error as it crosses processes. */
export interface RemoteError {
  name: string;
  message: string;
  stack: string;
}

export function toRemoteError(error: unknown): RemoteError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: typeof code === 'string' ? code : error.name,
      message: error.message,
      stack: error.stack ?? error.message,
    };
  }
  return { name: 'Error', message: String(error), stack: String(error) };
}

/** A failure reported by a TaskManager: its message as it was there, and where. */
export class RemoteTaskError extends BrookError {
  constructor(
    readonly remote: RemoteError,
    readonly taskManager: string,
  ) {
    super('BROOK_TASK_FAILED', `${remote.message} (on TaskManager ${taskManager})`);
    this.stack = `${this.name}: ${this.message}\n    --- remote stack ---\n${remote.stack}`;
  }
}

export type TaskManagerMessage =
  | { type: 'register'; taskManagerId: string; dataAddress: Address; slots: number }
  | { type: 'heartbeat' }
  /**
   * The counters of the slot's subtasks, sent with every heartbeat and once more as the attempt
   * ends (for the REST API and the dashboard): one small entry per subtask, never per record.
   */
  | { type: 'figures'; attempt: number; subtasks: SubtaskFigures[] }
  /** Tasks are built, restored and open; the JobManager may start sources and checkpoints. */
  | { type: 'deployed'; attempt: number }
  | { type: 'task-finished'; attempt: number; task: TaskRef }
  /** A task (or the deployment) failed; the JobManager fails the attempt. */
  | { type: 'attempt-failed'; attempt: number; task?: TaskRef; error: RemoteError }
  | { type: 'acknowledge'; attempt: number; task: TaskRef; checkpointId: number; parts: WrittenOperatorState[] }
  /** The task could not take its part of the checkpoint (its state did not write): the checkpoint fails, not the job. */
  | { type: 'decline'; attempt: number; task: TaskRef; checkpointId: number; reason: string }
  /** Every task of the attempt has stopped and closed; `error`: closing (or a final commit) failed. */
  | { type: 'attempt-ended'; attempt: number; error?: RemoteError };

export type AttemptEnd =
  /** Stop now (cancellation or a failure elsewhere). */
  | { kind: 'cancel' }
  /** Stopped with a savepoint: tasks halted at its barrier; run its commits, then stop. */
  | { kind: 'savepoint'; checkpointId: number }
  /** Every task finished and the final checkpoint completed: wait for its commits, then close. */
  | { kind: 'finished' };

export type JobManagerMessage =
  | { type: 'registered'; taskManagerId: string; heartbeatIntervalMs: number }
  | { type: 'deploy'; deployment: Deployment }
  /** Checkpoint `checkpointId` is written to `directory` of the storage at `storageUri`. */
  | { type: 'checkpoint-target'; attempt: number; checkpointId: number; storageUri: string; directory: string }
  | { type: 'trigger'; attempt: number; task: TaskRef; checkpointId: number; stop: boolean; drain: boolean }
  | { type: 'checkpoint-complete'; attempt: number; task: TaskRef; checkpointId: number }
  | { type: 'resume-after-failed-stop'; attempt: number; task: TaskRef; checkpointId: number }
  /** A finished task's part of a checkpoint: it writes its final state and acknowledges. */
  | { type: 'snapshot-finished'; attempt: number; task: TaskRef; checkpointId: number }
  | { type: 'add-splits'; attempt: number; task: TaskRef; splits: SourceSplit[] }
  | { type: 'no-more-splits'; attempt: number; task: TaskRef }
  /**
   * Every task is deployed and the enumerators dealt their first splits: run.
   * Splits arrive before this on the same connection, as they reach readers
   * before the tasks run on the mini-cluster: a reader that ran without its
   * splits would be taken for idle and let event time pass its records.
   */
  | { type: 'run'; attempt: number }
  | { type: 'end-attempt'; attempt: number; end: AttemptEnd };
