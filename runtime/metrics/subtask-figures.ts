// A compact reading of one subtask's counters (task-metrics.ts) for the REST
// API and the dashboard: what a TaskManager sends the JobManager with its
// heartbeat, and what `brook run` reads on request. Read, never counted here.
import { NO_WATERMARK, type OperatorMetrics, type TaskTimes } from './task-metrics.ts';

/** One subtask's figures at one moment, as they cross processes (plain data, a few dozen bytes of JSON). */
export interface SubtaskFigures {
  /** The job vertex: its head operator's uid, as the REST API names vertices. */
  vertex: string;
  subtask: number;
  /** Epoch ms of the reading, on the reading process's clock. */
  at: number;
  /** Records the head operator received from the task's inputs (a source: none), as Flink's numRecordsIn. */
  recordsIn: number;
  /** Records the chain's last operator emitted, side outputs included, as Flink's numRecordsOut. */
  recordsOut: number;
  busyMs: number;
  idleMs: number;
  backpressuredMs: number;
  /** The watermark the head operator last received; absent: none yet (or a source). */
  inputWatermark?: number;
  /** The watermark the chain's last operator last emitted; absent: none yet. */
  outputWatermark?: number;
  /** Record batches and events waiting in the task's input channels. */
  inputQueue: number;
  /** The task reached the end of its input. */
  finished: boolean;
}

/** What a reading needs of a task: its times and input queue (runtime/execution/task.ts has them). */
export interface FiguredTask {
  readonly times: TaskTimes;
  readonly isFinished?: boolean;
  inputQueueLength(): number;
}

const watermark = (w: number) => (w === NO_WATERMARK ? undefined : w);

/**
 * Reads a subtask's counters: a handful of field reads and one clock read, so
 * a TaskManager can afford it at every heartbeat.
 */
export function readSubtaskFigures(
  vertex: string,
  subtask: number,
  task: FiguredTask,
  chain: readonly { metrics: OperatorMetrics }[],
  at = Date.now(),
): SubtaskFigures {
  const head = chain[0]!.metrics;
  const tail = chain[chain.length - 1]!.metrics;
  const seconds = task.times.seconds();
  const figures: SubtaskFigures = {
    vertex,
    subtask,
    at,
    recordsIn: head.recordsIn,
    recordsOut: tail.recordsOut,
    busyMs: Math.round(seconds.busy * 1000),
    idleMs: Math.round(seconds.idle * 1000),
    backpressuredMs: Math.round(seconds.backpressured * 1000),
    inputQueue: task.inputQueueLength(),
    finished: task.isFinished ?? false,
  };
  const input = watermark(head.inputWatermark);
  const output = watermark(tail.outputWatermark);
  if (input !== undefined) figures.inputWatermark = input;
  if (output !== undefined) figures.outputWatermark = output;
  return figures;
}
