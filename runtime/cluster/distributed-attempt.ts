// One attempt of the job across TaskManagers, as the JobManager runs it: deploy
// every slot, start the source enumerators here (as Flink's JobManager does),
// coordinate checkpoints through remote task views, and end the attempt on
// every TaskManager the same way: finished, stopped with a savepoint, or
// cancelled after a failure.
import {
  CheckpointCoordinator,
  defaultCheckpointSettings,
  type CheckpointListener,
  type CheckpointSettings,
  type CoordinatedTask,
} from '../checkpoint/coordinator.ts';
import type { RestorePlan } from '../checkpoint/restore-plan.ts';
import type { CheckpointStorage } from '../checkpoint/storage.ts';
import type { SourceSplit, SplitEnumerator } from '../connectors/source.ts';
import { BrookError } from '../errors.ts';
import type { JobGraph, JobVertex } from '../graph/job-graph.ts';
import { JobCancelledError } from '../execution/mini-cluster.ts';
import { startSplitEnumerator } from '../execution/split-enumerators.ts';
import { logger, type Logger } from '../logging/logger.ts';
import { splitDirectoryUri, type JobControl } from '../execution/job-control.ts';
import type { AttemptEnd, JobSpec, TaskManagerMessage, TaskRef } from './messages.ts';
import { RemoteTaskError } from './messages.ts';
import { slotOf } from './placement.ts';
import type { RegisteredTaskManager } from './task-manager-registry.ts';
import type { SubtaskFigures } from '../metrics/subtask-figures.ts';

export interface AttemptContext {
  jobId: string;
  job: JobSpec;
  graph: JobGraph;
  attempt: number;
  /** One per slot, in slot order. */
  taskManagers: RegisteredTaskManager[];
  checkpointing?: { settings: CheckpointSettings; storage: CheckpointStorage };
  restore?: RestorePlan;
  allowNonRestoredState: boolean;
  firstCheckpointId: number;
  control: JobControl;
  openStorage: (uri: string) => Promise<CheckpointStorage>;
  signal: AbortSignal;
  /** How long TaskManagers get to end an attempt before they are taken as lost. */
  endTimeoutMs: number;
  /** Log context of the job; enumerators add their operator. */
  log: Logger;
  checkpointListeners?: CheckpointListener[];
  /** A TaskManager reported its subtasks' counters (REST figures). */
  onFigures?: (tm: RegisteredTaskManager, subtasks: SubtaskFigures[]) => void;
}

export interface DistributedAttemptOutcome {
  failure: unknown;
  savepoint?: string;
  nextCheckpointId: number;
  checkpoints: CheckpointCoordinator['history'];
}

interface RemoteTask extends CoordinatedTask {
  ref: TaskRef;
  tm: RegisteredTaskManager;
  finished: boolean;
}

/** Routes TaskManager messages of the running attempt; set by the JobManager. */
export interface AttemptMessages {
  onMessage(tm: RegisteredTaskManager, message: TaskManagerMessage): void;
  onLost(tm: RegisteredTaskManager, error: Error): void;
}

export class DistributedAttempt implements AttemptMessages {
  private readonly tasks: RemoteTask[] = [];
  private readonly coordinator: CheckpointCoordinator;
  private failure: unknown;
  private readonly deployed = new Set<RegisteredTaskManager>();
  private readonly ended = new Set<RegisteredTaskManager>();
  private readonly lost = new Set<RegisteredTaskManager>();
  private endErrors: unknown[] = [];
  private wakeUp: () => void = () => {};
  private stoppedWithSavepoint: { uri: string; checkpointId: number } | undefined;

  constructor(private readonly ctx: AttemptContext) {
    const settings = ctx.checkpointing?.settings ?? { ...defaultCheckpointSettings, intervalMs: undefined };
    this.coordinator = new CheckpointCoordinator(
      settings,
      ctx.checkpointing?.storage,
      ctx.jobId,
      ctx.graph.maxParallelism,
      this.tasks,
      (error) => this.fail(error),
      ctx.firstCheckpointId,
    );
    this.coordinator.listeners.push(...(ctx.checkpointListeners ?? []));
    this.coordinator.onBegin = (checkpointId, storage, directory) => {
      for (const tm of ctx.taskManagers) {
        tm.send({
          type: 'checkpoint-target',
          attempt: ctx.attempt,
          checkpointId,
          storageUri: storage.baseUri,
          directory,
        });
      }
    };
    const slots = ctx.taskManagers.length;
    for (const vertex of ctx.graph.vertices) {
      for (let subtask = 0; subtask < vertex.parallelism; subtask++)
        this.tasks.push(this.remoteTask(vertex, subtask, slots));
    }
  }

  private remoteTask(vertex: JobVertex, subtask: number, slots: number): RemoteTask {
    const { attempt } = this.ctx;
    const tm = this.ctx.taskManagers[slotOf(subtask, slots)]!;
    const ref = { vertex: vertex.id, subtask };
    const task: RemoteTask = {
      ref,
      tm,
      finished: false,
      subtask,
      operators: vertex.nodes.map((n) => ({ uid: n.uid, name: n.name, parallelism: n.parallelism })),
      isSource: vertex.nodes[0]!.transformation.kind === 'source',
      isFinished: () => task.finished,
      trigger: (checkpointId, stop, drain) =>
        tm.send({ type: 'trigger', attempt, task: ref, checkpointId, stop, drain }),
      notifyComplete: (checkpointId) => tm.send({ type: 'checkpoint-complete', attempt, task: ref, checkpointId }),
      resumeAfterFailedStop: (checkpointId) =>
        tm.send({ type: 'resume-after-failed-stop', attempt, task: ref, checkpointId }),
      snapshotFinished: (checkpointId) => {
        tm.send({ type: 'snapshot-finished', attempt, task: ref, checkpointId });
        return undefined;
      },
    };
    return task;
  }

  private fail(error: unknown): void {
    this.failure ??= error;
    this.wakeUp();
  }

  onLost(tm: RegisteredTaskManager, error: Error): void {
    if (!this.ctx.taskManagers.includes(tm)) return;
    this.lost.add(tm);
    this.fail(error);
  }

  onMessage(tm: RegisteredTaskManager, message: TaskManagerMessage): void {
    if (!('attempt' in message) || message.attempt !== this.ctx.attempt) return;
    switch (message.type) {
      case 'deployed':
        this.deployed.add(tm);
        break;
      case 'task-finished': {
        const task = this.taskOf(message.task);
        task.finished = true;
        this.coordinator.taskFinished(task);
        break;
      }
      case 'attempt-failed':
        this.fail(new RemoteTaskError(message.error, tm.id));
        break;
      case 'acknowledge':
        this.coordinator.acknowledgeWritten(this.taskOf(message.task), message.checkpointId, message.parts);
        break;
      case 'decline':
        this.coordinator.decline(message.checkpointId, message.reason);
        break;
      case 'figures':
        // Counters only: nothing waits on them, so no wake-up.
        this.ctx.onFigures?.(tm, message.subtasks);
        return;
      case 'attempt-ended':
        this.ended.add(tm);
        if (message.error) this.endErrors.push(new RemoteTaskError(message.error, tm.id));
        break;
    }
    this.wakeUp();
  }

  private taskOf(ref: TaskRef): RemoteTask {
    const task = this.tasks.find((t) => t.ref.vertex === ref.vertex && t.ref.subtask === ref.subtask);
    if (!task) throw new BrookError('BROOK_UNKNOWN_TASK', `no task ${ref.vertex}/${ref.subtask} in this job`);
    return task;
  }

  /** Resolves when `condition` holds (re-checked at every message) or the attempt failed. */
  private async until(condition: () => boolean): Promise<void> {
    while (!condition() && this.failure === undefined) {
      await new Promise<void>((resolve) => (this.wakeUp = resolve));
    }
  }

  async run(): Promise<DistributedAttemptOutcome> {
    const { ctx } = this;
    const enumerators: SplitEnumerator<SourceSplit>[] = [];
    const onAbort = () => this.fail(new JobCancelledError(ctx.graph.jobName));
    ctx.signal.addEventListener('abort', onAbort);
    if (ctx.signal.aborted) onAbort();
    ctx.control.attach(async (uri, stop, drain) => {
      const { parent, name } = splitDirectoryUri(uri);
      const savepoint = await this.coordinator.triggerSavepoint(await ctx.openStorage(parent), name, stop, drain);
      if (stop) {
        this.stoppedWithSavepoint = savepoint;
        this.wakeUp();
      }
      return savepoint.uri;
    });
    let end: AttemptEnd = { kind: 'cancel' };
    try {
      ctx.taskManagers.forEach((tm, slot) =>
        tm.send({
          type: 'deploy',
          deployment: {
            jobId: ctx.jobId,
            attempt: ctx.attempt,
            job: ctx.job,
            slot,
            peers: ctx.taskManagers.map((t) => t.dataAddress),
            restore: ctx.restore && {
              location: ctx.restore.location,
              allowNonRestoredState: ctx.allowNonRestoredState,
            },
          },
        }),
      );
      await this.until(() => this.deployed.size === ctx.taskManagers.length);
      if (this.failure === undefined) {
        for (const node of ctx.graph.nodes) {
          const enumerator = await this.startEnumerator(node);
          if (enumerator) enumerators.push(enumerator);
        }
        // After the first splits on each connection: readers never run without the splits they were dealt.
        for (const tm of ctx.taskManagers) tm.send({ type: 'run', attempt: ctx.attempt });
        this.coordinator.start();
        await this.until(() => this.stoppedWithSavepoint !== undefined || this.tasks.every((t) => t.finished));
      }
      if (this.failure === undefined && this.stoppedWithSavepoint) {
        end = { kind: 'savepoint', checkpointId: this.stoppedWithSavepoint.checkpointId };
      } else if (this.failure === undefined) {
        // A bounded job's sinks commit what they wrote since the last checkpoint once a final one records it.
        await this.coordinator.finalCheckpoint().catch((error: unknown) => this.fail(error));
        if (this.failure === undefined) end = { kind: 'finished' };
      }
    } catch (error) {
      this.fail(error);
    } finally {
      ctx.control.attach(undefined);
      ctx.signal.removeEventListener('abort', onAbort);
      await this.coordinator.stop();
      await Promise.allSettled(enumerators.map(async (e) => e.close?.()));
    }
    await this.endEverywhere(this.failure === undefined ? end : { kind: 'cancel' });
    if (this.failure === undefined && this.endErrors.length > 0) this.failure = this.endErrors[0];
    return {
      failure: this.failure,
      savepoint: this.failure === undefined ? this.stoppedWithSavepoint?.uri : undefined,
      nextCheckpointId: this.coordinator.nextCheckpointId,
      checkpoints: this.coordinator.history,
    };
  }

  /** Tells every TaskManager still there how the attempt ends, and waits until each has closed its tasks. */
  private async endEverywhere(end: AttemptEnd): Promise<void> {
    const { ctx } = this;
    for (const tm of ctx.taskManagers) {
      if (!this.lost.has(tm)) tm.send({ type: 'end-attempt', attempt: ctx.attempt, end });
    }
    const deadline = Date.now() + ctx.endTimeoutMs;
    const allEnded = () => ctx.taskManagers.every((tm) => this.ended.has(tm) || this.lost.has(tm));
    while (!allEnded() && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.wakeUp = resolve;
        setTimeout(resolve, Math.max(1, deadline - Date.now())).unref();
      });
    }
    if (!allEnded()) {
      const late = ctx.taskManagers.filter((tm) => !this.ended.has(tm) && !this.lost.has(tm)).map((tm) => tm.id);
      logger('cluster', ctx.log).warn(
        { attempt: ctx.attempt, taskManagers: late, timeoutMs: ctx.endTimeoutMs },
        `TaskManagers ${late.join(', ')} did not end attempt ${ctx.attempt} within ${ctx.endTimeoutMs} ms`,
      );
    }
  }

  private startEnumerator(node: JobGraph['nodes'][number]): Promise<SplitEnumerator<SourceSplit> | undefined> {
    const { ctx } = this;
    const vertex = ctx.graph.vertexOf.get(node)!;
    const slots = ctx.taskManagers.length;
    const tmOf = (subtask: number) => ctx.taskManagers[slotOf(subtask, slots)]!;
    const context = {
      parallelism: node.parallelism,
      log: ctx.log.child({ operator: node.name, operatorUid: node.uid }),
      assignSplits: (subtask: number, splits: SourceSplit[]) =>
        tmOf(subtask).send({ type: 'add-splits', attempt: ctx.attempt, task: { vertex: vertex.id, subtask }, splits }),
      signalNoMoreSplits: (subtask: number) =>
        tmOf(subtask).send({ type: 'no-more-splits', attempt: ctx.attempt, task: { vertex: vertex.id, subtask } }),
    };
    return startSplitEnumerator(node, context, ctx.restore);
  }
}
