// The REST API's backend for the one job of a `brook run` process or of a
// JobManager: status from a JobStatusTracker, savepoints and stops through the
// job's JobControl, cancellation through its abort signal. For `brook run` the
// process is its one TaskManager; a JobManager lists its registered ones.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { JobControl } from '../execution/job-control.ts';
import { isTerminal } from './job-status.ts';
import { FiguresStore, type SubtaskSample } from './figures-store.ts';
import type { MetricsRegistry } from '../metrics/registry.ts';
import type { JobStatusTracker } from './job-status-tracker.ts';
import {
  JobConflictError,
  UnknownJobError,
  type CheckpointStats,
  type ExceptionRecord,
  type JobInfo,
  type JobsBackend,
  type TaskManagerInfo,
} from './jobs-backend.ts';

export interface LocalJob {
  tracker: JobStatusTracker;
  control: JobControl;
  /** Cancels the job (aborts the signal it runs with). */
  cancel: () => void;
  /** Where savepoints go when a request names no directory (state.savepoints.dir). */
  defaultSavepointDir: string;
  /** The TaskManagers running the job (a JobManager's registry); default: this process. */
  taskManagers?: () => TaskManagerInfo[];
  /** The subtasks' counters: a JobManager's as reported, `brook run`'s read on request (figuresOf). */
  figures?: () => SubtaskSample[];
}

/**
 * Figures of the tasks running in this process (`brook run`), read from their
 * counters at each request: nothing is read while nobody asks.
 *
 * @example
 * const metrics = new MetricsRegistry()
 * new MiniClusterBackend({ ..., figures: figuresOf(metrics) })
 */
export function figuresOf(metrics: MetricsRegistry, windowMs = 1000): () => SubtaskSample[] {
  const store = new FiguresStore(windowMs);
  const location = { taskManager: `${hostname()}:${process.pid}`, endpoint: `${hostname()}:${process.pid}` };
  return () => {
    store.update(metrics.subtaskFigures(), location);
    return store.samples();
  };
}

/** Flink's savepoint directory name: `savepoint-<first 6 characters of the job id>-<12 random hex>`. */
export function savepointDirectory(targetDirectory: string, jobId: string): string {
  return `${targetDirectory.replace(/\/+$/, '')}/savepoint-${jobId.slice(0, 6)}-${randomBytes(6).toString('hex')}`;
}

export class MiniClusterBackend implements JobsBackend {
  constructor(private readonly job: LocalJob) {}

  jobs(): JobInfo[] {
    return [this.job.tracker.info()];
  }

  checkpoints(jobId: string): CheckpointStats {
    return this.find(jobId).checkpoints();
  }

  exceptions(jobId: string): ExceptionRecord[] {
    return this.find(jobId).exceptions();
  }

  figures(jobId: string): SubtaskSample[] {
    this.find(jobId);
    return this.job.figures?.() ?? [];
  }

  /** This process, with one slot per parallel instance of the job's widest vertex. */
  taskManagers(): TaskManagerInfo[] {
    if (this.job.taskManagers) return this.job.taskManagers();
    const info = this.job.tracker.info();
    const slots = Math.max(1, ...info.vertices.map((v) => v.parallelism));
    return [
      {
        id: `${hostname()}:${process.pid}`,
        dataAddress: `${hostname()}:${process.pid}`,
        slotsNumber: slots,
        freeSlots: isTerminal(info.state) ? slots : 0,
        lastHeartbeat: Date.now(),
      },
    ];
  }

  async triggerSavepoint(jobId: string, request: { targetDirectory?: string; cancelJob: boolean }): Promise<string> {
    const tracker = this.running(jobId);
    const uri = savepointDirectory(request.targetDirectory ?? this.job.defaultSavepointDir, jobId);
    if (!request.cancelJob) return this.job.control.triggerSavepoint(uri);
    const location = await this.job.control.stopWithSavepoint(uri);
    tracker.cancelling();
    return location;
  }

  async stopWithSavepoint(jobId: string, request: { targetDirectory?: string; drain: boolean }): Promise<string> {
    this.running(jobId);
    return this.job.control.stopWithSavepoint(
      savepointDirectory(request.targetDirectory ?? this.job.defaultSavepointDir, jobId),
      { drain: request.drain },
    );
  }

  async cancel(jobId: string): Promise<void> {
    const tracker = this.find(jobId);
    if (tracker.state === 'CANCELED' || tracker.state === 'CANCELLING') return;
    if (isTerminal(tracker.state)) throw new JobConflictError(`job ${jobId} already reached state ${tracker.state}`);
    tracker.cancelling();
    this.job.cancel();
  }

  private find(jobId: string): JobStatusTracker {
    if (jobId !== this.job.tracker.id) throw new UnknownJobError(jobId);
    return this.job.tracker;
  }

  private running(jobId: string): JobStatusTracker {
    const tracker = this.find(jobId);
    if (tracker.state !== 'RUNNING') throw new JobConflictError(`job ${jobId} is not running (state ${tracker.state})`);
    return tracker;
  }
}
