// `brook jobmanager`: runs one job across TaskManagers. It builds the job
// graph, waits until as many TaskManagers as the job's parallelism have
// registered (one slot each), deploys an attempt, and restarts from the latest
// completed checkpoint per the restart strategy when a task fails or a
// TaskManager is lost. With a fixed job id (the operator sets one), a
// JobManager that starts again resumes from the newest checkpoint in storage.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { openCheckpointStorage } from '../checkpoint/storage.ts';
import { jobEnding, markJobEnded, type JobEnding } from '../checkpoint/job-ending.ts';
import type { RestorePlan } from '../checkpoint/restore-plan.ts';
import type { BrookConfig } from '../config/schema.ts';
import { JobControl } from '../execution/job-control.ts';
import {
  JobCancelledError,
  JobExecutionError,
  latestRestorePlan,
  savepointRestorePlan,
} from '../execution/mini-cluster.ts';
import type { Address } from '../network/data-exchange.ts';
import { decideRestart, initialRestartState } from '../recovery/restart-strategy.ts';
import { DistributedAttempt, type AttemptMessages } from './distributed-attempt.ts';
import { buildJob, type BuiltJob } from './job-module.ts';
import { JobStatusTracker } from './job-status-tracker.ts';
import type { TaskManagerInfo } from './jobs-backend.ts';
import { FiguresStore, type SubtaskSample } from './figures-store.ts';
import { RemoteTaskError, type JobSpec } from './messages.ts';
import { describeJobGraph } from './mini-cluster-status.ts';
import { TaskManagerRegistry, type RegisteredTaskManager } from './task-manager-registry.ts';
import type { JobMetrics } from '../metrics/job-metrics.ts';
import type { MetricsRegistry } from '../metrics/registry.ts';
import { logger, rootLogger, type Logger } from '../logging/logger.ts';
import { checkpointLogListener } from '../checkpoint/checkpoint-log.ts';

export interface JobManagerOptions {
  job: { path: string; args: string[]; name: string; settings: BrookConfig };
  /** Where the control port listens (6123 in a pod; 0 picks a free port). */
  controlHost: string;
  controlPort: number;
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
  /** Log context of the job (default: the process's root logger, read at each line so later configuration applies). */
  log?: Logger;
  /** Where the job's metrics are exported (status, restarts, checkpoints); absent: none. */
  metrics?: MetricsRegistry;
}

export interface JobManagerResult {
  state: 'FINISHED' | 'CANCELED' | 'FAILED';
  savepoint?: string;
  restarts: number;
  failure?: unknown;
  /** The job had ended before this JobManager started (its marker was in storage): it was not run again. */
  alreadyEnded?: boolean;
}

export class JobManager {
  readonly jobId: string;
  readonly control = new JobControl();
  private readonly registry: TaskManagerRegistry;
  private current: AttemptMessages | undefined;
  /** The TaskManagers the running attempt uses. */
  private busy: RegisteredTaskManager[] = [];
  private readonly abort = new AbortController();
  private waiters: (() => void)[] = [];
  private spec: JobSpec | undefined;
  private built: BuiltJob | undefined;
  private tracker: JobStatusTracker | undefined;
  private jobMetrics: JobMetrics | undefined;
  /** The running (or last) attempt's subtask counters, as its TaskManagers reported them. */
  private figures = new FiguresStore();
  restarts = 0;

  constructor(private readonly options: JobManagerOptions) {
    this.jobId = options.job.settings.job.id ?? randomUUID().replaceAll('-', '');
    this.registry = new TaskManagerRegistry(
      {
        heartbeatIntervalMs: options.heartbeatIntervalMs ?? 1000,
        heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 10_000,
        secret: options.job.settings.cluster.secret,
        encryption: options.job.settings.cluster.encryption,
      },
      {
        onMessage: (tm, message) => this.current?.onMessage(tm, message),
        onLost: (tm, error) => {
          this.current?.onLost(tm, error);
          this.wake();
        },
        onRegistered: () => this.wake(),
      },
      () => this.logContext,
    );
  }

  private get logContext(): Logger {
    return this.options.log ?? rootLogger();
  }

  private get log(): Logger {
    return logger('cluster', this.logContext);
  }

  /** The registered TaskManagers as the REST API shows them. */
  taskManagerInfo(): TaskManagerInfo[] {
    const busy = new Set(this.busy);
    return this.registry.list().map((tm) => ({
      id: tm.id,
      dataAddress: `${tm.dataAddress.host}:${tm.dataAddress.port}`,
      slotsNumber: tm.slots,
      freeSlots: busy.has(tm) ? 0 : tm.slots,
      lastHeartbeat: tm.lastHeartbeat,
    }));
  }

  /** Every subtask's latest figures (REST API); a restarted attempt counts from zero, as in Flink. */
  subtaskSamples(): SubtaskSample[] {
    return this.figures.samples();
  }

  /** Listens on the control port; resolves with its address. */
  listen(): Promise<Address> {
    return this.registry.listen(this.options.controlHost, this.options.controlPort);
  }

  cancel(): void {
    this.abort.abort();
    this.wake();
  }

  async close(): Promise<void> {
    await this.registry.close();
  }

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** The first `slots` registered TaskManagers, once there are that many (or undefined when cancelled). */
  private async taskManagersFor(slots: number): Promise<RegisteredTaskManager[] | undefined> {
    let said = false;
    while (!this.abort.signal.aborted) {
      const registered = this.registry.list();
      if (registered.length >= slots) return registered.slice(0, slots);
      if (!said)
        this.log.info(
          { registered: registered.length, slots },
          `waiting for TaskManagers: ${registered.length} of ${slots} registered`,
        );
      said = true;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return undefined;
  }

  /** Builds the job (so a broken job module fails before anything listens) and its status tracker. */
  async prepare(): Promise<JobStatusTracker> {
    const { job } = this.options;
    this.spec = { name: job.name, path: job.path, args: job.args, settings: job.settings };
    this.built = await buildJob(this.spec);
    this.tracker = new JobStatusTracker({ id: this.jobId, name: job.name, ...describeJobGraph(this.built.graph) });
    this.jobMetrics = this.options.metrics?.registerJob(this.built.graph.jobName, this.jobId, this.tracker);
    return this.tracker;
  }

  /** Runs the job to its end: finished, stopped with a savepoint, cancelled, or failed beyond its restart strategy. */
  async run(): Promise<JobManagerResult> {
    const tracker = this.tracker ?? (await this.prepare());
    const { job } = this.options;
    const spec = this.spec!;
    const { env, graph } = this.built!;
    const execution = env.executionSettings();
    const openStorage = (uri: string) => openCheckpointStorage(uri, execution.storageOptions);
    const checkpointing = execution.checkpointing && {
      settings: execution.checkpointing,
      storage: await openStorage(execution.checkpointStorageUri),
      jobId: this.jobId,
    };
    const allowNonRestoredState = job.settings.restore.allowNonRestoredState;
    // A job that already ended is never run again under its id, as Flink's JobResultStore prevents: a JobManager
    // pod restarted after its job stopped with a savepoint must not start it over. It reports the end instead.
    const ended = checkpointing && (await jobEnding(checkpointing.storage, this.jobId));
    if (ended) {
      const savepoint = ended.savepoint ? `, savepoint ${ended.savepoint}` : '';
      logger('checkpoint', this.logContext).info(
        { state: ended.state, savepoint: ended.savepoint },
        `job ${this.jobId} already ended (${ended.state}${savepoint}); it is not run again`,
      );
      tracker.endedEarlier(ended.state, ended.at);
      return { state: ended.state, savepoint: ended.savepoint, restarts: 0, alreadyEnded: true };
    }
    let restore: RestorePlan | undefined = checkpointing
      ? await latestRestorePlan(graph, { checkpointing })
      : undefined;
    if (restore)
      logger('checkpoint', this.logContext).info(
        { checkpointId: restore.checkpointId, location: restore.location },
        `resuming job ${this.jobId} from checkpoint ${restore.location}`,
      );
    let savepoint: RestorePlan | undefined;
    if (!restore && job.settings.restore.path) {
      savepoint = await savepointRestorePlan(job.settings.restore.path, graph, allowNonRestoredState, openStorage);
      restore = savepoint;
      logger('checkpoint', this.logContext).info(
        { location: restore.location },
        `starting job ${this.jobId} from savepoint ${restore.location}`,
      );
    }
    const slots = job.settings.job.parallelism;
    let restartState = initialRestartState;
    let nextCheckpointId = (restore?.checkpointId ?? 0) + 1;
    const ownCheckpointsFrom = nextCheckpointId;
    const end = async (state: JobEnding['state'], savepoint?: string) => {
      // Cancelled with its checkpoints deleted, nothing is left to resume: no marker either.
      if (state === 'CANCELED' && checkpointing?.settings.onCancellation === 'delete') return;
      if (checkpointing) await markJobEnded(checkpointing.storage, this.jobId, { state, at: Date.now(), savepoint });
    };
    for (let attempt = 1; ; attempt++) {
      const taskManagers = await this.taskManagersFor(slots);
      if (!taskManagers) {
        await end('CANCELED');
        tracker.ended('cancelled');
        return { state: 'CANCELED', restarts: this.restarts };
      }
      tracker.attemptStarted(
        attempt - 1,
        restore && {
          checkpointId: restore.checkpointId,
          location: restore.location,
          isSavepoint: restore === savepoint,
        },
      );
      this.log.info(
        { attempt, taskManagers: taskManagers.map((t) => t.id) },
        `deploying attempt ${attempt} of job '${graph.jobName}' to ${taskManagers.map((t) => t.id).join(', ')}`,
      );
      const figures = (this.figures = new FiguresStore());
      const current = new DistributedAttempt({
        jobId: this.jobId,
        job: spec,
        graph,
        attempt,
        taskManagers,
        checkpointing,
        restore,
        allowNonRestoredState,
        firstCheckpointId: nextCheckpointId,
        control: this.control,
        openStorage,
        signal: this.abort.signal,
        endTimeoutMs: 30_000,
        log: this.logContext,
        checkpointListeners: [
          {
            started: (id, kind, triggerTimestamp) =>
              tracker.checkpointStarted({ id, isSavepoint: kind === 'savepoint', triggerTimestamp }),
            completed: (id, kind, details) =>
              tracker.checkpointCompleted({
                id,
                isSavepoint: kind === 'savepoint',
                triggerTimestamp: details.triggerTimestamp,
                stateSize: details.stateSize,
                externalPath: details.location,
              }),
            failed: (id, kind, reason) =>
              tracker.checkpointFailed({ id, isSavepoint: kind === 'savepoint', message: reason }),
          },
          ...(this.jobMetrics ? [this.jobMetrics.checkpointListener] : []),
          checkpointLogListener(this.logContext),
        ],
        onFigures: (tm, subtasks) =>
          figures.update(subtasks, {
            taskManager: tm.id,
            endpoint: `${tm.dataAddress.host}:${tm.dataAddress.port}`,
          }),
      });
      this.current = current;
      this.busy = taskManagers;
      const outcome = await current.run();
      this.current = undefined;
      this.busy = [];
      nextCheckpointId = outcome.nextCheckpointId;
      if (outcome.failure === undefined) {
        await end('FINISHED', outcome.savepoint);
        tracker.ended('finished');
        return { state: 'FINISHED', savepoint: outcome.savepoint, restarts: this.restarts };
      }
      if (outcome.failure instanceof JobCancelledError) {
        await end('CANCELED');
        tracker.ended('cancelled');
        if (checkpointing?.settings.onCancellation === 'delete')
          await checkpointing.storage.deleteAll(`${this.jobId}/`);
        return { state: 'CANCELED', restarts: this.restarts };
      }
      const decision = decideRestart(execution.restartStrategy, restartState, Date.now());
      restartState = decision.state;
      if (!decision.restart) {
        const failure = new JobExecutionError(graph.jobName, outcome.failure, decision.reason);
        await end('FAILED');
        tracker.ended('failed', failure, failureLocation(outcome.failure));
        return { state: 'FAILED', restarts: this.restarts, failure };
      }
      this.restarts++;
      tracker.restarting(outcome.failure, failureLocation(outcome.failure));
      logger('execution', this.logContext).warn(
        { attempt, delayMs: decision.delayMs, err: outcome.failure },
        `attempt ${attempt} failed, restarting in ${decision.delayMs} ms: ${(outcome.failure as Error).message}`,
      );
      await sleep(decision.delayMs);
      restore = (checkpointing && (await latestRestorePlan(graph, { checkpointing }, ownCheckpointsFrom))) ?? restore;
    }
  }
}

/** Where a failure happened, for the exception history. */
function failureLocation(failure: unknown): { location?: string } {
  return failure instanceof RemoteTaskError ? { location: failure.taskManager } : {};
}
