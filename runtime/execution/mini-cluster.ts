// The local mini-cluster: runs every subtask of a job graph in this process,
// wired by in-memory channels, and reports the job's end or its first failure.
import { BrookError } from '../errors.ts';
import type { SourceSplit } from '../connectors/source.ts';
import type { JobEdge, JobGraph, JobVertex } from '../graph/job-graph.ts';
import type { StreamOperator } from '../operators/operator.ts';
import { SourceOperator } from '../operators/source-operator.ts';
import { keyGroupRangeForSubtask } from '../state/key-groups.ts';
import type { ProcessingTimeClock } from '../time/processing-time.ts';
import { ChainOutput, type Consumers } from './chain-output.ts';
import { LocalChannel } from './channel.ts';
import { InputGate } from './input-gate.ts';
import { RecordWriter } from './record-writer.ts';
import { Task } from './task.ts';
import { annotate } from './user-function-error.ts';

export class JobExecutionError extends BrookError {
  constructor(jobName: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('BROOK_JOB_FAILED', `job '${jobName}' failed: ${reason}`, { cause });
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
}

export interface JobExecutionResult {
  jobName: string;
  durationMs: number;
  /** Operator instances by node uid, for inspection after the job (tests, metrics). */
  operators: Map<string, StreamOperator[]>;
}

/** Channels of one network edge: channels[producerSubtask][consumerSubtask] (pointwise for forward edges). */
type EdgeChannels = (LocalChannel | undefined)[][];

function createEdgeChannels(edge: JobEdge, capacity: number): EdgeChannels {
  const producers = edge.source.parallelism;
  const consumers = edge.target.parallelism;
  return Array.from({ length: producers }, (_, p) =>
    Array.from({ length: consumers }, (_, c) =>
      edge.partitioning.kind === 'forward' && p !== c ? undefined : new LocalChannel(capacity),
    ),
  );
}

export async function runOnMiniCluster(graph: JobGraph, options: MiniClusterOptions): Promise<JobExecutionResult> {
  const started = Date.now();
  const networkEdges = graph.edges.filter((e) => graph.vertexOf.get(e.source) !== graph.vertexOf.get(e.target));
  const channels = new Map<JobEdge, EdgeChannels>(
    networkEdges.map((e) => [e, createEdgeChannels(e, options.channelCapacity)]),
  );
  const operatorsByUid = new Map<string, StreamOperator[]>();
  const tasks: Task[] = [];
  const sourceReaders = new Map<number, SourceOperator[]>();

  for (const vertex of graph.vertices) {
    for (let subtask = 0; subtask < vertex.parallelism; subtask++) {
      tasks.push(createTask(graph, vertex, subtask, channels, options, operatorsByUid, sourceReaders));
    }
  }

  let failure: unknown;
  const cancelAll = () => tasks.forEach((t) => t.cancel());
  const onAbort = () => {
    failure ??= new JobCancelledError(graph.jobName);
    cancelAll();
  };
  options.signal?.addEventListener('abort', onAbort);
  try {
    await Promise.all(tasks.map((t) => t.open()));
    for (const [nodeId, readers] of sourceReaders) await startEnumerator(graph, nodeId, readers);
    await Promise.all(
      tasks.map((task) =>
        task.run().catch((error: unknown) => {
          failure ??= error;
          cancelAll();
        }),
      ),
    );
  } catch (error) {
    failure ??= error;
    cancelAll();
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    for (const channelsOfEdge of channels.values()) for (const row of channelsOfEdge) for (const c of row) c?.release();
    await Promise.allSettled(tasks.map((t) => t.close()));
  }
  if (failure instanceof JobCancelledError) throw failure;
  if (failure !== undefined) throw new JobExecutionError(graph.jobName, failure);
  return { jobName: graph.jobName, durationMs: Date.now() - started, operators: operatorsByUid };
}

async function startEnumerator(graph: JobGraph, nodeId: number, readers: SourceOperator[]): Promise<void> {
  const node = graph.nodes.find((n) => n.id === nodeId)!;
  if (node.transformation.kind !== 'source') return;
  const enumerator = node.transformation.source.createEnumerator({
    parallelism: readers.length,
    assignSplits: (subtask, splits: SourceSplit[]) => readers[subtask]!.reader.addSplits(splits),
    signalNoMoreSplits: (subtask) => readers[subtask]!.reader.notifyNoMoreSplits(),
  });
  await enumerator.start();
  readers.forEach((_, subtask) => enumerator.addReader(subtask));
}

function createTask(
  graph: JobGraph,
  vertex: JobVertex,
  subtask: number,
  channels: Map<JobEdge, EdgeChannels>,
  options: MiniClusterOptions,
  operatorsByUid: Map<string, StreamOperator[]>,
  sourceReaders: Map<number, SourceOperator[]>,
): Task {
  const operators = vertex.nodes.map((node) => {
    const t = node.transformation;
    const operator =
      t.kind === 'source'
        ? new SourceOperator(t.source, t.watermarkStrategy, options.autoWatermarkIntervalMs)
        : t.createOperator();
    operatorsByUid.set(node.uid, [...(operatorsByUid.get(node.uid) ?? []), operator]);
    if (operator instanceof SourceOperator)
      sourceReaders.set(node.id, [...(sourceReaders.get(node.id) ?? []), operator]);
    return operator;
  });
  const operatorOf = new Map(vertex.nodes.map((node, i) => [node, operators[i]!]));
  const allWriters: RecordWriter[] = [];
  const taskRef: { current?: Task } = {};

  vertex.nodes.forEach((node, i) => {
    const operator = operators[i]!;
    const main: Consumers = { operators: [], writers: [] };
    const side = new Map<string, Consumers>();
    const downstreamOperators: StreamOperator[] = [];
    const downstreamWriters: RecordWriter[] = [];
    for (const edge of graph.edges.filter((e) => e.source === node)) {
      const consumers = edge.sideOutputTag
        ? (side.get(edge.sideOutputTag.id) ??
          side.set(edge.sideOutputTag.id, { operators: [], writers: [] }).get(edge.sideOutputTag.id)!)
        : main;
      const chained = operatorOf.get(edge.target);
      if (chained && graph.vertexOf.get(edge.target) === vertex) {
        consumers.operators.push(chained);
        downstreamOperators.push(chained);
      } else {
        const row = channels.get(edge)![subtask]!.filter((c): c is LocalChannel => c !== undefined);
        const writer = new RecordWriter(row, edge.partitioning, {
          subtaskIndex: subtask,
          maxParallelism: graph.maxParallelism,
        });
        consumers.writers.push(writer);
        downstreamWriters.push(writer);
        allWriters.push(writer);
      }
    }
    operator.setup({
      jobName: graph.jobName,
      operatorName: node.name,
      operatorUid: node.uid,
      subtaskIndex: subtask,
      parallelism: node.parallelism,
      maxParallelism: graph.maxParallelism,
      keyGroupRange: keyGroupRangeForSubtask(graph.maxParallelism, node.parallelism, subtask),
      output: new ChainOutput(main, side, downstreamOperators, downstreamWriters),
      clock: options.clock,
      scheduleAt: (timestamp, callback) =>
        options.clock.schedule(timestamp, () =>
          taskRef.current!.mail(() => {
            try {
              callback();
            } catch (error) {
              throw annotate(error, operator, 'in a processing-time timer');
            }
          }),
        ),
    });
  });

  const head = vertex.nodes[0]!;
  const gates = ([1, 2] as const)
    .map((inputIndex) => {
      const inputEdges = graph.edges.filter((e) => e.target === head && e.inputIndex === inputIndex);
      if (inputEdges.length === 0) return undefined;
      return new InputGate(
        inputEdges.flatMap((edge) =>
          channels
            .get(edge)!
            .map((row) => row[subtask])
            .filter((c): c is LocalChannel => c !== undefined),
        ),
      );
    })
    .filter((g): g is InputGate => g !== undefined);

  taskRef.current = new Task({ name: vertex.name, subtaskIndex: subtask, operators, gates, writers: allWriters });
  return taskRef.current;
}
