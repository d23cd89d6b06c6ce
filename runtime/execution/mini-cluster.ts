// The local mini-cluster: runs every subtask of a job graph in this process,
// wired by in-memory channels, and reports the job's end or its first failure.
import { BrookError } from '../errors.ts';
import type { SourceSplit, SplitEnumerator } from '../connectors/source.ts';
import type { JobEdge, JobGraph } from '../graph/job-graph.ts';
import type { StreamOperator } from '../operators/operator.ts';
import type { SourceOperator } from '../operators/source-operator.ts';
import type { ProcessingTimeClock } from '../time/processing-time.ts';
import { LocalChannel } from './channel.ts';
import type { Task } from './task.ts';
import { startSplitEnumerator } from './split-enumerators.ts';
import { buildTask, edgeConnects, networkEdges, type TaskChannels, type TaskRuntime } from './task-builder.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CheckpointCoordinator,
  defaultCheckpointSettings,
  type CheckpointListener,
  type CheckpointSettings,
  type CoordinatedTask,
} from '../checkpoint/coordinator.ts';
import type { MetricsRegistry } from '../metrics/registry.ts';
import type { JobControl } from './job-control.ts';
import { splitDirectoryUri } from './job-control.ts';
import { readMetadata } from '../checkpoint/metadata.ts';
import { chooseCheckpointToRestore } from '../checkpoint/restore-selection.ts';
import { planRestore, type RestorePlan } from '../checkpoint/restore-plan.ts';
import type { CheckpointStorage } from '../checkpoint/storage.ts';
import type { OperatorSnapshot } from '../operators/operator.ts';
import { decideRestart, initialRestartState, type RestartStrategy } from '../recovery/restart-strategy.ts';
import type { StateStoreOpener } from '../state/state-backend.ts';
import type { Logger } from '../logging/logger.ts';
import { checkpointLogListener } from '../checkpoint/checkpoint-log.ts';

export class JobExecutionError extends BrookError {
  constructor(jobName: string, cause: unknown, restartOutcome?: string) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const outcome = restartOutcome ? ` (not restarted: ${restartOutcome})` : '';
    super('BROOK_JOB_FAILED', `job '${jobName}' failed: ${reason}${outcome}`, { cause });
  }
}

export class JobCancelledError extends BrookError {
  constructor(jobName: string) {
    super('BROOK_JOB_CANCELLED', `job '${jobName}' was cancelled`);
  }
}

export interface MiniClusterOptions {
  clock: ProcessingTimeClock;
  autoWatermarkIntervalMs: number;
  /** Batches (and events) a channel holds before its producer waits. */
  channelCapacity: number;
  signal?: AbortSignal;
  checkpointing?: { settings: CheckpointSettings; storage: CheckpointStorage; jobId: string };
  restartStrategy: RestartStrategy;
  /** The id of the run's first checkpoint (default: after the restored one's); ids never repeat under a job id. */
  firstCheckpointId?: number;
  /** State to start from (a savepoint or a checkpoint). */
  restore?: RestorePlan;
  /** Called when a failed job is about to be restarted. */
  onRestart?: (failure: unknown, delayMs: number) => void;
  /** Called as each attempt starts (0, then one after every restart) with the state it restores; feeds job status. */
  onAttemptStart?: (attempt: number, restore: RestorePlan | undefined) => void;
  /** Savepoints on request; needs `openStorage` to reach their directories. */
  control?: JobControl;
  openStorage?: (uri: string) => Promise<CheckpointStorage>;
  /** Where keyed state lives; absent: the heap. */
  openStateStores?: StateStoreOpener;
  /** Where each attempt's task, operator and user metrics are registered. */
  metrics?: MetricsRegistry;
  /** Told of every checkpoint's start, completion and failure by the coordinator (job metrics). */
  checkpointListeners?: CheckpointListener[];
  /** Log context of the job (its id and name); tasks and operators add theirs. */
  log?: Logger;
}

export interface JobExecutionResult {
  jobName: string;
  durationMs: number;
  /** Operator instances by node uid, for inspection after the job (tests, metrics). */
  operators: Map<string, StreamOperator[]>;
  /** How often the job was restarted after a failure. */
  restarts: number;
  /** Set when the job ended by stop-with-savepoint: where the savepoint is. */
  savepoint?: string;
  /** Completed checkpoints and savepoints of the last attempt, with durations. */
  checkpoints: CheckpointCoordinator['history'];
}

/** Channels of one network edge: channels[producerSubtask][consumerSubtask] (pointwise for forward edges). */
type EdgeChannels = (LocalChannel | undefined)[][];

function createEdgeChannels(edge: JobEdge, capacity: number): EdgeChannels {
  const producers = edge.source.parallelism;
  const consumers = edge.target.parallelism;
  return Array.from({ length: producers }, (_, p) =>
    Array.from({ length: consumers }, (_, c) => (edgeConnects(edge, p, c) ? new LocalChannel(capacity) : undefined)),
  );
}

/** Runs the job, restarting it from the latest completed checkpoint as the restart strategy allows. */
export async function runOnMiniCluster(graph: JobGraph, options: MiniClusterOptions): Promise<JobExecutionResult> {
  const started = Date.now();
  let restartState = initialRestartState;
  let restore = options.restore;
  let nextCheckpointId = options.firstCheckpointId ?? (restore?.checkpointId ?? 0) + 1;
  // A restart restores this run's own newest checkpoint, never one of an earlier run under the same id.
  const ownCheckpointsFrom = nextCheckpointId;
  for (let attempt = 0; ; attempt++) {
    options.onAttemptStart?.(attempt, restore);
    const outcome = await runAttempt(graph, options, restore, nextCheckpointId);
    nextCheckpointId = outcome.nextCheckpointId;
    if (outcome.failure === undefined) {
      return {
        jobName: graph.jobName,
        durationMs: Date.now() - started,
        operators: outcome.operators,
        restarts: attempt,
        savepoint: outcome.savepoint,
        checkpoints: outcome.checkpoints,
      };
    }
    if (outcome.failure instanceof JobCancelledError) {
      await deleteCheckpointsOnCancellation(options);
      throw outcome.failure;
    }
    const decision = decideRestart(options.restartStrategy, restartState, Date.now());
    restartState = decision.state;
    if (!decision.restart) throw new JobExecutionError(graph.jobName, outcome.failure, decision.reason);
    options.onRestart?.(outcome.failure, decision.delayMs);
    await sleep(decision.delayMs);
    if (options.signal?.aborted) {
      await deleteCheckpointsOnCancellation(options);
      throw new JobCancelledError(graph.jobName);
    }
    restore = (await latestRestorePlan(graph, options, ownCheckpointsFrom)) ?? restore;
  }
}

async function deleteCheckpointsOnCancellation(options: MiniClusterOptions): Promise<void> {
  const checkpointing = options.checkpointing;
  if (checkpointing?.settings.onCancellation !== 'delete') return;
  await checkpointing.storage.deleteAll(`${checkpointing.jobId}/`);
}

/** The plan for the newest usable checkpoint of this job, if checkpointing is on and one completed. */
export async function latestRestorePlan(
  graph: JobGraph,
  options: Pick<MiniClusterOptions, 'checkpointing'>,
  minCheckpointId = 0,
): Promise<RestorePlan | undefined> {
  const checkpointing = options.checkpointing;
  if (!checkpointing) return undefined;
  const job = restoringJob(graph, false);
  let plan: RestorePlan | undefined;
  await chooseCheckpointToRestore(
    checkpointing.storage,
    checkpointing.jobId,
    async (metadata, directory) => {
      plan = await planRestore(checkpointing.storage, directory, metadata, job);
    },
    minCheckpointId,
  );
  return plan;
}

/** The plan for the savepoint (or retained checkpoint) directory at `uri`, opened with `openStorage`. */
export async function savepointRestorePlan(
  uri: string,
  graph: JobGraph,
  allowNonRestoredState: boolean,
  openStorage: (uri: string) => Promise<CheckpointStorage>,
): Promise<RestorePlan> {
  const { parent, name } = splitDirectoryUri(uri);
  const storage = await openStorage(parent);
  return planRestore(storage, name, await readMetadata(storage, name), restoringJob(graph, allowNonRestoredState));
}

/** What a restore checks state against: the job's operators and its maxParallelism. */
function restoringJob(graph: JobGraph, allowNonRestoredState: boolean) {
  return { uids: graph.nodes.map((n) => n.uid), maxParallelism: graph.maxParallelism, allowNonRestoredState };
}

interface AttemptOutcome {
  failure: unknown;
  checkpoints: CheckpointCoordinator['history'];
  savepoint?: string;
  operators: Map<string, StreamOperator[]>;
  nextCheckpointId: number;
}

async function runAttempt(
  graph: JobGraph,
  options: MiniClusterOptions,
  restore: RestorePlan | undefined,
  firstCheckpointId: number,
): Promise<AttemptOutcome> {
  const channels = new Map<JobEdge, EdgeChannels>(
    networkEdges(graph).map((e) => [e, createEdgeChannels(e, options.channelCapacity)]),
  );
  const taskChannels: TaskChannels = {
    outputs: (edge, p) => channels.get(edge)![p]!.filter((c): c is LocalChannel => c !== undefined),
    inputs: (edge, c) =>
      channels
        .get(edge)!
        .map((row) => row[c])
        .filter((ch): ch is LocalChannel => ch !== undefined),
  };
  const taskRuntime: TaskRuntime = {
    clock: options.clock,
    autoWatermarkIntervalMs: options.autoWatermarkIntervalMs,
    checkpointing: options.checkpointing !== undefined,
    alignBarriers: options.checkpointing?.settings.mode !== 'at-least-once',
    openStateStores: options.openStateStores,
    metrics: options.metrics?.attempt(graph.jobName),
    log: options.log,
  };
  const operatorsByUid = new Map<string, StreamOperator[]>();
  const tasks: Task[] = [];
  const coordinated: CoordinatedTask[] = [];
  const sourceReaders = new Map<number, SourceOperator[]>();
  const acknowledgers = new Map<Task, CoordinatedTask>();
  let failure: unknown;
  const cancelAll = () => tasks.forEach((t) => t.cancel());
  const fail = (error: unknown) => {
    failure ??= error;
    cancelAll();
  };

  const checkpointing = options.checkpointing;
  const coordinator = new CheckpointCoordinator(
    checkpointing?.settings ?? { ...defaultCheckpointSettings, intervalMs: undefined },
    checkpointing?.storage,
    checkpointing?.jobId ?? graph.jobName,
    graph.maxParallelism,
    coordinated,
    fail,
    firstCheckpointId,
  );
  coordinator.listeners.push(checkpointLogListener(options.log), ...(options.checkpointListeners ?? []));
  for (const vertex of graph.vertices) {
    for (let subtask = 0; subtask < vertex.parallelism; subtask++) {
      const checkpoints = {
        acknowledge: (id: number, snapshots: OperatorSnapshot[]) => coordinator.acknowledge(view, id, snapshots),
      };
      const built = buildTask(graph, vertex, subtask, taskChannels, taskRuntime, checkpoints);
      const task = built.task;
      for (const { node, operator } of built.operators)
        operatorsByUid.set(node.uid, [...(operatorsByUid.get(node.uid) ?? []), operator]);
      if (built.source) {
        const nodeId = vertex.nodes[0]!.id;
        sourceReaders.set(nodeId, [...(sourceReaders.get(nodeId) ?? []), built.source]);
      }
      const view: CoordinatedTask = {
        subtask,
        operators: vertex.nodes.map((n) => ({ uid: n.uid, name: n.name, parallelism: n.parallelism })),
        isSource: vertex.nodes[0]!.transformation.kind === 'source',
        isFinished: () => task.isFinished,
        trigger: (id, stop, drain) => task.triggerCheckpoint(id, stop, drain),
        notifyComplete: (id) => void task.notifyCheckpointComplete(id)?.catch(fail),
        resumeAfterFailedStop: (id) => task.resumeAfterFailedStop(id),
        snapshotFinished: (id) => task.snapshotFinished(id),
      };
      tasks.push(task);
      coordinated.push(view);
      acknowledgers.set(task, view);
    }
  }

  let stoppedWithSavepoint: { uri: string; checkpointId: number } | undefined;
  const enumerators: SplitEnumerator<SourceSplit>[] = [];
  options.control?.attach(async (uri, stop, drain) => {
    if (!options.openStorage) throw new BrookError('BROOK_SAVEPOINT_UNAVAILABLE', 'savepoints need a storage opener');
    const { parent, name } = splitDirectoryUri(uri);
    const savepoint = await coordinator.triggerSavepoint(await options.openStorage(parent), name, stop, drain);
    if (stop) {
      stoppedWithSavepoint = savepoint;
      cancelAll();
    }
    return savepoint.uri;
  });

  const onAbort = () => fail(new JobCancelledError(graph.jobName));
  options.signal?.addEventListener('abort', onAbort);
  try {
    if (restore) await restoreOperators(graph, operatorsByUid, restore);
    await Promise.all(tasks.map((t) => t.open()));
    for (const [nodeId, readers] of sourceReaders) {
      const enumerator = await startEnumerator(graph, nodeId, readers, restore, options.log);
      if (enumerator) enumerators.push(enumerator);
    }
    coordinator.start();
    await Promise.all(
      tasks.map((task) =>
        task
          .run()
          .then(() => task.isFinished && coordinator.taskFinished(acknowledgers.get(task)!))
          .catch(fail),
      ),
    );
    if (stoppedWithSavepoint && failure === undefined) {
      for (const task of tasks) await task.completeCheckpointNow(stoppedWithSavepoint.checkpointId);
    } else if (failure === undefined && tasks.every((t) => t.isFinished)) {
      // A bounded job's sinks commit what they wrote since the last checkpoint once a final one records it.
      await coordinator.finalCheckpoint();
      for (const task of tasks) await task.whenCommitsAfterFinishDone();
    }
  } catch (error) {
    fail(error);
  } finally {
    options.control?.attach(undefined);
    await coordinator.stop();
    // Enumerators stop discovering (timers, broker connections) before the tasks close.
    await Promise.allSettled(enumerators.map(async (e) => e.close?.()));
    options.signal?.removeEventListener('abort', onAbort);
    for (const channelsOfEdge of channels.values()) for (const row of channelsOfEdge) for (const c of row) c?.release();
    // A failure while closing fails a job that had not failed otherwise (as in Flink).
    for (const closed of await Promise.allSettled(tasks.map((t) => t.close()))) {
      if (closed.status === 'rejected') failure ??= closed.reason;
    }
  }
  return {
    failure,
    savepoint: stoppedWithSavepoint?.uri,
    operators: operatorsByUid,
    nextCheckpointId: coordinator.nextCheckpointId,
    checkpoints: coordinator.history,
  };
}

/** Loads each operator instance's part of the restored state, before the operators open. */
async function restoreOperators(
  graph: JobGraph,
  operatorsByUid: Map<string, StreamOperator[]>,
  plan: RestorePlan,
): Promise<void> {
  for (const node of graph.nodes) {
    const instances = operatorsByUid.get(node.uid) ?? [];
    for (const [subtask, operator] of instances.entries()) {
      operator.restoreState(await plan.forSubtask(node.uid, node.parallelism, subtask));
    }
  }
}

function startEnumerator(
  graph: JobGraph,
  nodeId: number,
  readers: SourceOperator[],
  restore: RestorePlan | undefined,
  log: Logger | undefined,
): Promise<SplitEnumerator<SourceSplit> | undefined> {
  const node = graph.nodes.find((n) => n.id === nodeId)!;
  const context = {
    parallelism: readers.length,
    log: log?.child({ operator: node.name, operatorUid: node.uid }),
    assignSplits: (subtask: number, splits: SourceSplit[]) => readers[subtask]!.addSplits(splits),
    signalNoMoreSplits: (subtask: number) => readers[subtask]!.reader.notifyNoMoreSplits(),
  };
  return startSplitEnumerator(node, context, restore);
}
