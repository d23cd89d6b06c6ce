// Builds one subtask of a job vertex: its chain of operators, the writers that
// feed the next vertices and the gates that read its inputs. Where the channels
// come from (in-memory, or the network) is the caller's: the mini-cluster and
// a TaskManager build tasks with this same code.
import type { JobEdge, JobGraph, JobNode, JobVertex } from '../graph/job-graph.ts';
import type { AttemptMetrics } from '../metrics/registry.ts';
import { rootLogger, type Logger } from '../logging/logger.ts';
import type { StreamOperator } from '../operators/operator.ts';
import { SourceOperator } from '../operators/source-operator.ts';
import { keyGroupRangeForSubtask } from '../state/key-groups.ts';
import type { StateStoreOpener } from '../state/state-backend.ts';
import type { ProcessingTimeClock } from '../time/processing-time.ts';
import { ChainOutput, type Consumers } from './chain-output.ts';
import type { InputChannel, OutputChannel } from './channel.ts';
import { InputGate } from './input-gate.ts';
import { RecordWriter } from './record-writer.ts';
import { Task, type CheckpointAcknowledger } from './task.ts';
import { annotate } from './user-function-error.ts';

/** The channels of the network edges (between vertices) a task writes to and reads from. */
export interface TaskChannels {
  /** This producer subtask's channels on `edge`, ordered by consumer subtask (forward: the one it feeds). */
  outputs(edge: JobEdge, producerSubtask: number): OutputChannel[];
  /** This consumer subtask's channels on `edge`, ordered by producer subtask (forward: the one feeding it). */
  inputs(edge: JobEdge, consumerSubtask: number): InputChannel[];
}

export interface TaskRuntime {
  clock: ProcessingTimeClock;
  autoWatermarkIntervalMs: number;
  checkpointing: boolean;
  /** Exactly-once alignment of barriers (false in at-least-once mode). */
  alignBarriers: boolean;
  openStateStores?: StateStoreOpener;
  /** Where the attempt's task and operator metrics are registered; absent: counted, not exported. */
  metrics?: AttemptMetrics;
  /** Log context of the attempt (job id and name); tasks and operators add theirs. */
  log?: Logger;
}

export interface BuiltTask {
  task: Task;
  /** The chain's operators with their nodes, head first. */
  operators: { node: JobNode; operator: StreamOperator }[];
  /** The head when the vertex is a source. */
  source?: SourceOperator;
}

/** The edges that cross vertices (and so need channels); chained edges are method calls. */
export function networkEdges(graph: JobGraph): JobEdge[] {
  return graph.edges.filter((e) => graph.vertexOf.get(e.source) !== graph.vertexOf.get(e.target));
}

/** Whether a network edge has a channel from producer subtask `p` to consumer subtask `c`. */
export function edgeConnects(edge: JobEdge, p: number, c: number): boolean {
  return edge.partitioning.kind !== 'forward' || p === c;
}

export function buildTask(
  graph: JobGraph,
  vertex: JobVertex,
  subtask: number,
  channels: TaskChannels,
  runtime: TaskRuntime,
  checkpoints: CheckpointAcknowledger,
): BuiltTask {
  const head = vertex.nodes[0]!;
  const taskLog = (runtime.log ?? rootLogger()).child({ task: vertex.name, taskId: head.uid, subtask });
  const operators = vertex.nodes.map((node) => {
    const t = node.transformation;
    const operator =
      t.kind === 'source'
        ? new SourceOperator(t.source, t.watermarkStrategy, runtime.autoWatermarkIntervalMs)
        : t.createOperator();
    return { node, operator };
  });
  const operatorOf = new Map(operators.map(({ node, operator }) => [node, operator]));
  const allWriters: RecordWriter[] = [];
  const taskRef: { current?: Task } = {};

  for (const { node, operator } of operators) {
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
        const writer = new RecordWriter(channels.outputs(edge, subtask), edge.partitioning, {
          subtaskIndex: subtask,
          maxParallelism: graph.maxParallelism,
          edge: { from: node.name, to: edge.target.name },
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
      output: new ChainOutput(main, side, downstreamOperators, downstreamWriters, operator.metrics),
      clock: runtime.clock,
      checkpointing: runtime.checkpointing,
      log: taskLog.child({ operator: node.name, operatorUid: node.uid }),
      openStateStores:
        runtime.openStateStores &&
        (() => runtime.openStateStores!({ jobName: graph.jobName, operatorUid: node.uid, subtask })),
      scheduleAt: (timestamp, callback) =>
        runtime.clock.schedule(timestamp, () =>
          taskRef.current!.mail(() => {
            try {
              callback();
            } catch (error) {
              throw annotate(error, operator, 'in a processing-time timer');
            }
          }),
        ),
    });
  }

  const gates = ([1, 2] as const)
    .map((inputIndex) => {
      const inputEdges = graph.edges.filter((e) => e.target === head && e.inputIndex === inputIndex);
      if (inputEdges.length === 0) return undefined;
      return new InputGate(
        inputEdges.flatMap((edge) => channels.inputs(edge, subtask)),
        runtime.alignBarriers,
      );
    })
    .filter((g): g is InputGate => g !== undefined);

  taskRef.current = new Task({
    name: vertex.name,
    subtaskIndex: subtask,
    operators: operators.map((o) => o.operator),
    gates,
    writers: allWriters,
    checkpoints,
    alignBarriers: runtime.alignBarriers,
    log: taskLog,
  });
  const headOperator = operators[0]!.operator;
  runtime.metrics?.addTask({
    task: taskRef.current,
    taskId: head.uid,
    taskName: vertex.name,
    subtask,
    operators: operators.map(({ node, operator }) => ({ uid: node.uid, name: node.name, operator })),
    source: headOperator instanceof SourceOperator ? headOperator : undefined,
  });
  return {
    task: taskRef.current,
    operators,
    source: headOperator instanceof SourceOperator ? headOperator : undefined,
  };
}
