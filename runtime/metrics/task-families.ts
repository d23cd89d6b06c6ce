// The operator and task metric families: one registration per registry, whose
// samples are read at scrape time from the counters of every registered task
// (task-metrics.ts). Names and labels are documented in docs/metrics.md.
import type { Registry } from 'prom-client';
import type { SourceFetchStats, SplitBacklog } from '../connectors/source.ts';
import { registerCollected, type Labels, type Sample } from './collected-metric.ts';
import { NO_WATERMARK, type OperatorMetrics, type TaskTimes } from './task-metrics.ts';

/** The end-of-input watermark: event time is over, so there is no lag to report. */
const END_WATERMARK = Number.MAX_SAFE_INTEGER;

export interface MeteredOperator {
  readonly metrics: OperatorMetrics;
}

export interface MeteredTask {
  readonly times: TaskTimes;
  /** Milliseconds from the first to the last barrier of the newest checkpoint at this task; undefined before one. */
  readonly lastAlignmentMs?: number;
  /** Read by the REST API's figures (subtask-figures.ts), not exported. */
  readonly isFinished?: boolean;
  inputQueueLength(): number;
}

/** A registered operator instance: its labels and where its figures are read. */
export interface OperatorEntry {
  labels: Labels;
  metrics: OperatorMetrics;
  operator: MeteredOperator;
}

export interface TaskEntry {
  labels: Labels;
  task: MeteredTask;
  /** Head first. */
  operators: OperatorEntry[];
  /** Whether the head is a source (its records in are the records its reader emitted). */
  isSource: boolean;
  /** A source's backlog per split, when its reader reports one. */
  pendingRecords(): SplitBacklog[] | undefined;
  /** A source's fetches from its external system, when its reader counts them. */
  fetchStats?(): SourceFetchStats | undefined;
}

type TaskSource = () => Iterable<TaskEntry>;

function operatorFamily(
  registry: Registry,
  tasks: TaskSource,
  family: { name: string; help: string; type: 'counter' | 'gauge' },
  value: (entry: OperatorEntry, isSource: boolean, now: number) => number | undefined,
): void {
  registerCollected(registry, {
    ...family,
    *collect(): Iterable<Sample> {
      const now = Date.now();
      for (const task of tasks()) {
        for (let i = 0; i < task.operators.length; i++) {
          const entry = task.operators[i]!;
          const v = value(entry, i === 0 && task.isSource, now);
          if (v !== undefined) yield { labels: entry.labels, value: v };
        }
      }
    },
  });
}

function taskFamily(
  registry: Registry,
  tasks: TaskSource,
  family: { name: string; help: string; type: 'counter' | 'gauge' },
  value: (task: TaskEntry) => number | undefined,
): void {
  registerCollected(registry, {
    ...family,
    *collect(): Iterable<Sample> {
      for (const task of tasks()) {
        const v = value(task);
        if (v !== undefined) yield { labels: task.labels, value: v };
      }
    },
  });
}

const watermark = (w: number) => (w === NO_WATERMARK ? undefined : w);
const lag = (w: number, now: number) => (w === NO_WATERMARK || w >= END_WATERMARK ? undefined : now - w);

/** Registers every operator and task family in `registry`, reading the tasks `tasks` yields at each scrape. */
export function registerTaskFamilies(registry: Registry, tasks: TaskSource): void {
  const op = (family: Parameters<typeof operatorFamily>[2], value: Parameters<typeof operatorFamily>[3]) =>
    operatorFamily(registry, tasks, family, value);
  op(
    {
      name: 'brook_operator_records_in_total',
      help: 'Records the operator instance received (a source: records its reader emitted)',
      type: 'counter',
    },
    ({ metrics }, isSource) => (isSource ? metrics.recordsOut : metrics.recordsIn),
  );
  op(
    {
      name: 'brook_operator_records_out_total',
      help: 'Records the operator instance emitted, side outputs included',
      type: 'counter',
    },
    ({ metrics }) => metrics.recordsOut,
  );
  op(
    {
      name: 'brook_operator_input_watermark_milliseconds',
      help: 'The watermark the operator instance last received (event time, epoch ms)',
      type: 'gauge',
    },
    ({ metrics }, isSource) => (isSource ? undefined : watermark(metrics.inputWatermark)),
  );
  op(
    {
      name: 'brook_operator_output_watermark_milliseconds',
      help: 'The watermark the operator instance last emitted (event time, epoch ms)',
      type: 'gauge',
    },
    ({ metrics }) => watermark(metrics.outputWatermark),
  );
  op(
    {
      name: 'brook_operator_watermark_lag_milliseconds',
      help: 'Wall-clock time minus the operator instance watermark (a source: the one it emitted)',
      type: 'gauge',
    },
    ({ metrics }, isSource, now) => lag(isSource ? metrics.outputWatermark : metrics.inputWatermark, now),
  );
  op(
    {
      name: 'brook_operator_late_records_dropped_total',
      help: 'Records a window operator dropped because they came after their windows allowed lateness',
      type: 'counter',
    },
    ({ operator }) => {
      const late = (operator as { lateRecordsDropped?: unknown }).lateRecordsDropped;
      return typeof late === 'number' ? late : undefined;
    },
  );
  op(
    {
      name: 'brook_sink_commit_failures_total',
      help: 'Commits of a two-phase-committing sink that failed',
      type: 'counter',
    },
    ({ metrics }) => metrics.commits?.failures,
  );
  registerCollected(registry, {
    name: 'brook_sink_commit_duration_seconds',
    help: 'Time a two-phase-committing sink took to commit a checkpoint (count: commits)',
    type: 'histogram',
    *collect() {
      for (const task of tasks()) {
        for (const { labels, metrics } of task.operators) {
          if (metrics.commits) yield* metrics.commits.durations.samples('brook_sink_commit_duration_seconds', labels);
        }
      }
    },
  });
  registerCollected(registry, {
    name: 'brook_source_pending_records',
    help: 'Records a source split has yet to read (Kafka: the partition lag behind its high watermark)',
    type: 'gauge',
    *collect() {
      for (const task of tasks()) {
        const backlog = task.pendingRecords();
        if (!backlog) continue;
        const labels = task.operators[0]!.labels;
        for (const { split, records } of backlog) yield { labels: { ...labels, split }, value: records };
      }
    },
  });

  const fetchFamily = (name: string, help: string, value: (stats: SourceFetchStats) => number) =>
    registerCollected(registry, {
      name,
      help,
      type: 'counter',
      *collect() {
        for (const task of tasks()) {
          const stats = task.fetchStats?.();
          if (stats) yield { labels: task.operators[0]!.labels, value: value(stats) };
        }
      },
    });
  fetchFamily(
    'brook_source_fetch_requests_total',
    'Fetch requests a source answered from its external system (Kafka: Fetch responses)',
    (s) => s.requests,
  );
  fetchFamily(
    'brook_source_fetched_records_total',
    'Records a source fetched from its external system (Kafka: aborted and control records left out)',
    (s) => s.records,
  );

  const seconds = (task: TaskEntry) => task.task.times.seconds();
  taskFamily(
    registry,
    tasks,
    {
      name: 'brook_task_busy_seconds_total',
      help: 'Time the task spent processing (neither idle nor backpressured)',
      type: 'counter',
    },
    (t) => seconds(t).busy,
  );
  taskFamily(
    registry,
    tasks,
    { name: 'brook_task_idle_seconds_total', help: 'Time the task waited for input or mail', type: 'counter' },
    (t) => seconds(t).idle,
  );
  taskFamily(
    registry,
    tasks,
    {
      name: 'brook_task_backpressured_seconds_total',
      help: 'Time the task waited for room in its output channels',
      type: 'counter',
    },
    (t) => seconds(t).backpressured,
  );
  taskFamily(
    registry,
    tasks,
    {
      name: 'brook_task_input_queue_length',
      help: 'Record batches and events waiting in the task input channels',
      type: 'gauge',
    },
    (t) => t.task.inputQueueLength(),
  );
  taskFamily(
    registry,
    tasks,
    {
      name: 'brook_task_checkpoint_alignment_seconds',
      help: 'Time from the first to the last checkpoint barrier of the newest checkpoint at this task (barrier alignment)',
      type: 'gauge',
    },
    (t) => (t.task.lastAlignmentMs === undefined ? undefined : t.task.lastAlignmentMs / 1000),
  );
}
