// One attempt of the job as one TaskManager runs it: the subtasks of its slot,
// wired to each other in memory and to the other TaskManagers' subtasks over
// the data exchange; checkpoint parts written to storage here (only handles go
// to the JobManager, as in Flink); splits and commits as the JobManager says.
import type { CheckpointStorage } from '../checkpoint/storage.ts';
import { openCheckpointStorage } from '../checkpoint/storage.ts';
import { readMetadata } from '../checkpoint/metadata.ts';
import { planRestore } from '../checkpoint/restore-plan.ts';
import { writeKeyedState } from '../checkpoint/keyed-state-file.ts';
import { writeOperatorState } from '../checkpoint/operator-state-file.ts';
import type { WrittenOperatorState } from '../checkpoint/coordinator.ts';
import { BrookError } from '../errors.ts';
import { LocalChannel, type InputChannel, type OutputChannel } from '../execution/channel.ts';
import { splitDirectoryUri } from '../execution/job-control.ts';
import type { Task } from '../execution/task.ts';
import { buildTask, type BuiltTask, type TaskChannels } from '../execution/task-builder.ts';
import type { JobEdge } from '../graph/job-graph.ts';
import type { OperatorSnapshot } from '../operators/operator.ts';
import type { DataExchange } from '../network/data-exchange.ts';
import { loadStateBackend } from '../state/state-backend.ts';
import type { AttemptMetrics, MetricsRegistry } from '../metrics/registry.ts';
import { logger, type Logger } from '../logging/logger.ts';
import { readSubtaskFigures, type SubtaskFigures } from '../metrics/subtask-figures.ts';
import { buildJob } from './job-module.ts';
import type { AttemptEnd, Deployment, RemoteError, TaskManagerMessage, TaskRef } from './messages.ts';
import { toRemoteError } from './messages.ts';
import { channelId, channelPlacements, subtasksInSlot } from './placement.ts';

type Send = (message: TaskManagerMessage) => void;

interface RunningTask {
  ref: TaskRef;
  built: BuiltTask;
  run?: Promise<void>;
  /** Acknowledgements still being written: "finished" is sent only after them, as in one process. */
  acknowledging: Promise<void>;
}

interface CheckpointTarget {
  storage: CheckpointStorage;
  directory: string;
}

export class SlotAttempt {
  private readonly tasks: RunningTask[] = [];
  private readonly localChannels: LocalChannel[] = [];
  private failed = false;
  private ending: Promise<void> | undefined;
  /** Where each checkpoint goes; a barrier may arrive (over the data exchange) before the target does. */
  private readonly targets = new Map<
    number,
    { promise: Promise<CheckpointTarget>; resolve(t: CheckpointTarget): void; reject(e: Error): void }
  >();
  private readonly storages = new Map<string, Promise<CheckpointStorage>>();
  private storageOptions: Parameters<typeof openCheckpointStorage>[1] = {};
  private metrics: AttemptMetrics | undefined;

  constructor(
    readonly deployment: Deployment,
    private readonly exchange: DataExchange,
    private readonly send: Send,
    /** Log context of the attempt (job id and name, attempt); tasks add theirs. */
    private readonly log: Logger,
    private readonly registry?: MetricsRegistry,
  ) {}

  get attempt(): number {
    return this.deployment.attempt;
  }

  /** Builds, restores and opens this slot's tasks; they run once the JobManager says so. Failures are reported, not thrown. */
  async start(): Promise<void> {
    try {
      await this.deploy();
      this.send({ type: 'deployed', attempt: this.attempt });
    } catch (error) {
      this.fail(error);
    }
  }

  /** Runs every task (the enumerators have dealt their first splits). */
  run(): void {
    if (this.failed || this.ending) return;
    for (const task of this.tasks) {
      task.run = task.built.task.run().then(
        async () => {
          if (!task.built.task.isFinished) return;
          // The JobManager must see this task's last acknowledgement before it hears that it finished.
          await task.acknowledging;
          this.send({ type: 'task-finished', attempt: this.attempt, task: task.ref });
        },
        (error: unknown) => this.fail(error, task.ref),
      );
    }
  }

  private async deploy(): Promise<void> {
    const { deployment } = this;
    const { env, graph } = await buildJob(deployment.job);
    const settings = env.executionSettings();
    this.storageOptions = settings.storageOptions;
    const slots = deployment.peers.length;
    const mine = deployment.slot;

    // Channels first: outputs to other TaskManagers connect now, so a missing peer fails the deployment.
    const outputs = new Map<string, OutputChannel>();
    const inputs = new Map<string, InputChannel>();
    const key = (edge: JobEdge, p: number, c: number) => `${graph.edges.indexOf(edge)}/${p}/${c}`;
    for (const placement of channelPlacements(graph, slots)) {
      const { edge, edgeIndex, producer, consumer, producerSlot, consumerSlot } = placement;
      const id = channelId(this.attempt, edgeIndex, producer, consumer);
      if (producerSlot === mine && consumerSlot === mine) {
        const channel = new LocalChannel(settings.channelCapacity);
        this.localChannels.push(channel);
        outputs.set(key(edge, producer, consumer), channel);
        inputs.set(key(edge, producer, consumer), channel);
      } else if (producerSlot === mine) {
        outputs.set(
          key(edge, producer, consumer),
          await this.exchange.outputChannel(id, deployment.peers[consumerSlot]!, edge.source.transformation.codec),
        );
      } else if (consumerSlot === mine) {
        inputs.set(
          key(edge, producer, consumer),
          this.exchange.inputChannel(id, settings.channelCapacity, edge.source.transformation.codec),
        );
      }
    }
    const taskChannels: TaskChannels = {
      outputs: (edge, p) => {
        const list: OutputChannel[] = [];
        for (let c = 0; c < edge.target.parallelism; c++) {
          const channel = outputs.get(key(edge, p, c));
          if (channel) list.push(channel);
        }
        return list;
      },
      inputs: (edge, c) => {
        const list: InputChannel[] = [];
        for (let p = 0; p < edge.source.parallelism; p++) {
          const channel = inputs.get(key(edge, p, c));
          if (channel) list.push(channel);
        }
        return list;
      },
    };

    const runtime = {
      clock: settings.clock,
      autoWatermarkIntervalMs: settings.autoWatermarkIntervalMs,
      checkpointing: settings.checkpointing !== undefined,
      alignBarriers: settings.checkpointing?.mode !== 'at-least-once',
      openStateStores: await loadStateBackend(settings.stateBackend),
      metrics: (this.metrics = this.registry?.attempt(graph.jobName)),
      log: this.log,
    };
    for (const vertex of graph.vertices) {
      for (const subtask of subtasksInSlot(vertex, mine, slots)) {
        const ref = { vertex: vertex.id, subtask };
        const built = buildTask(graph, vertex, subtask, taskChannels, runtime, {
          acknowledge: (checkpointId, snapshots) => this.acknowledge(ref, checkpointId, snapshots),
        });
        this.tasks.push({ ref, built, acknowledging: Promise.resolve() });
      }
    }

    const restore = deployment.restore;
    if (restore) {
      const { parent, name } = splitDirectoryUri(restore.location);
      const storage = await this.storageAt(parent);
      const plan = await planRestore(storage, name, await readMetadata(storage, name), {
        uids: graph.nodes.map((n) => n.uid),
        maxParallelism: graph.maxParallelism,
        allowNonRestoredState: restore.allowNonRestoredState,
      });
      for (const { ref, built } of this.tasks) {
        for (const { node, operator } of built.operators) {
          operator.restoreState(await plan.forSubtask(node.uid, node.parallelism, ref.subtask));
        }
      }
    }
    for (const { built } of this.tasks) await built.task.open();
  }

  private storageAt(uri: string): Promise<CheckpointStorage> {
    let storage = this.storages.get(uri);
    if (!storage) {
      storage = openCheckpointStorage(uri, this.storageOptions);
      this.storages.set(uri, storage);
    }
    return storage;
  }

  private target(checkpointId: number) {
    let entry = this.targets.get(checkpointId);
    if (!entry) {
      let resolve!: (t: CheckpointTarget) => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<CheckpointTarget>((res, rej) => ((resolve = res), (reject = rej)));
      promise.catch(() => {});
      entry = { promise, resolve, reject };
      this.targets.set(checkpointId, entry);
    }
    return entry;
  }

  /** The JobManager says where checkpoint `checkpointId` goes; older ones still waiting were abandoned. */
  checkpointTarget(checkpointId: number, storageUri: string, directory: string): void {
    for (const [id, entry] of this.targets) {
      if (id < checkpointId) {
        entry.reject(new BrookError('BROOK_CHECKPOINT_ABANDONED', `checkpoint ${id} was abandoned`));
        this.targets.delete(id);
      }
    }
    void this.storageAt(storageUri).then(
      (storage) => this.target(checkpointId).resolve({ storage, directory }),
      (error: unknown) => this.target(checkpointId).reject(error as Error),
    );
  }

  /** A task took its part of a checkpoint: its state goes to storage from here, the handles to the JobManager. */
  private acknowledge(ref: TaskRef, checkpointId: number, snapshots: OperatorSnapshot[]): void {
    const task = this.taskOf(ref);
    const written = this.writeAndAcknowledge(task, checkpointId, snapshots);
    task.acknowledging = task.acknowledging.then(() => written);
  }

  private async writeAndAcknowledge(
    task: RunningTask,
    checkpointId: number,
    snapshots: OperatorSnapshot[],
  ): Promise<void> {
    const { ref } = task;
    try {
      const { storage, directory } = await this.target(checkpointId).promise;
      const parts: WrittenOperatorState[] = await Promise.all(
        snapshots.map(async (snapshot, i) => {
          const uid = task.built.operators[i]!.node.uid;
          const keyed =
            snapshot.keyed.keyGroups.length > 0
              ? await writeKeyedState(storage, directory, uid, ref.subtask, snapshot.keyed)
              : (snapshot.keyed.release(), undefined);
          const operatorState = await writeOperatorState(storage, directory, uid, ref.subtask, snapshot.operator);
          return { keyed, operatorState };
        }),
      );
      this.send({ type: 'acknowledge', attempt: this.attempt, task: ref, checkpointId, parts });
    } catch (error) {
      for (const snapshot of snapshots) snapshot.keyed.release();
      this.send({
        type: 'decline',
        attempt: this.attempt,
        task: ref,
        checkpointId,
        reason: `${task.built.task.name}: ${(error as Error).message}`,
      });
    }
  }

  trigger(ref: TaskRef, checkpointId: number, stop: boolean, drain: boolean): void {
    const task = this.taskOf(ref).built.task;
    // The JobManager may not have heard yet that this source finished: its final state is its part.
    if (task.isFinished) this.acknowledge(ref, checkpointId, task.snapshotFinished(checkpointId));
    else task.triggerCheckpoint(checkpointId, stop, drain);
  }

  snapshotFinished(ref: TaskRef, checkpointId: number): void {
    this.acknowledge(ref, checkpointId, this.taskOf(ref).built.task.snapshotFinished(checkpointId));
  }

  checkpointComplete(ref: TaskRef, checkpointId: number): void {
    this.targets.delete(checkpointId);
    this.taskOf(ref)
      .built.task.notifyCheckpointComplete(checkpointId)
      ?.catch((error: unknown) => this.fail(error, ref));
  }

  resumeAfterFailedStop(ref: TaskRef, checkpointId: number): void {
    this.taskOf(ref).built.task.resumeAfterFailedStop(checkpointId);
  }

  addSplits(ref: TaskRef, splits: Parameters<NonNullable<BuiltTask['source']>['addSplits']>[0]): void {
    this.taskOf(ref).built.source?.addSplits(splits);
  }

  noMoreSplits(ref: TaskRef): void {
    this.taskOf(ref).built.source?.reader.notifyNoMoreSplits();
  }

  /** Ends the attempt as the JobManager says; reports `attempt-ended` once every task closed. */
  end(how: AttemptEnd): Promise<void> {
    this.ending ??= this.finish(how);
    return this.ending;
  }

  /** The JobManager is gone: nothing to report to; stop everything. */
  abandon(): Promise<void> {
    return this.end({ kind: 'cancel' });
  }

  private async finish(how: AttemptEnd): Promise<void> {
    let error: unknown;
    if (how.kind === 'finished') {
      await Promise.allSettled(this.tasks.map((t) => t.run ?? Promise.resolve()));
      for (const { built } of this.tasks)
        await built.task.whenCommitsAfterFinishDone().catch((e: unknown) => (error ??= e));
    } else {
      this.cancelTasks();
      await Promise.allSettled(this.tasks.map((t) => t.run ?? Promise.resolve()));
      if (how.kind === 'savepoint') {
        for (const { built } of this.tasks) {
          await built.task.completeCheckpointNow(how.checkpointId).catch((e: unknown) => (error ??= e));
        }
      }
    }
    for (const entry of this.targets.values())
      entry.reject(new BrookError('BROOK_JOB_NOT_RUNNING', 'the attempt ended'));
    this.targets.clear();
    for (const channel of this.localChannels) channel.release();
    for (const closed of await Promise.allSettled(this.tasks.map((t) => t.built.task.close()))) {
      if (closed.status === 'rejected') error ??= closed.reason;
    }
    this.exchange.forget(`${this.attempt}/`);
    // The final counts, so the REST API shows what an ended attempt did.
    this.sendFigures();
    // A TaskManager outlives its jobs: the ended attempt's series leave /metrics.
    this.metrics?.close();
    const remote: RemoteError | undefined = error === undefined ? undefined : toRemoteError(error);
    this.send({ type: 'attempt-ended', attempt: this.attempt, error: remote });
  }

  private cancelTasks(): void {
    for (const { built } of this.tasks) built.task.cancel();
    for (const channel of this.localChannels) channel.release();
    this.exchange.releaseOutputs(`${this.attempt}/`);
  }

  private fail(error: unknown, ref?: TaskRef): void {
    if (this.failed || this.ending) return;
    this.failed = true;
    const task = ref && this.taskOf(ref).built.task.name;
    logger('execution', this.log).warn(
      { task, err: error },
      `attempt ${this.attempt} failed${task ? ` in task ${task}` : ''}: ${(error as Error).message}`,
    );
    this.send({ type: 'attempt-failed', attempt: this.attempt, task: ref, error: toRemoteError(error) });
    // Stop at once; the JobManager ends the attempt everywhere and says so.
    this.cancelTasks();
  }

  private taskOf(ref: TaskRef): RunningTask {
    const task = this.tasks.find((t) => t.ref.vertex === ref.vertex && t.ref.subtask === ref.subtask);
    if (!task) throw new BrookError('BROOK_UNKNOWN_TASK', `no task ${ref.vertex}/${ref.subtask} in this TaskManager`);
    return task;
  }

  /** The counters of this slot's subtasks, read now. */
  figures(): SubtaskFigures[] {
    const at = Date.now();
    return this.tasks.map(({ ref, built }) =>
      readSubtaskFigures(
        built.operators[0]!.node.uid,
        ref.subtask,
        built.task,
        built.operators.map((o) => o.operator),
        at,
      ),
    );
  }

  /** Sends the JobManager this slot's figures (with every heartbeat, and as the attempt ends). */
  sendFigures(): void {
    if (this.tasks.length > 0) this.send({ type: 'figures', attempt: this.attempt, subtasks: this.figures() });
  }

  /** Every task of this slot, for tests and status. */
  get taskList(): Task[] {
    return this.tasks.map((t) => t.built.task);
  }
}
