// The per-vertex figures of the REST API in Flink's shapes (IOMetricsInfo of
// a vertex, JobVertexDetailsInfo, JobVertexBackPressureInfo, watermarks and
// metric lists), computed purely from the subtasks' latest readings. Rates
// come from two readings of one process's clock (figures-store.ts).
import type { SubtaskSample } from '../figures-store.ts';
import type { JobInfo, VertexInfo } from '../jobs-backend.ts';
import type { SubtaskFigures } from '../../metrics/subtask-figures.ts';

/** What a subtask is doing now: records per second, and the share of its time in each activity. */
export interface SubtaskRates {
  recordsInPerSecond: number;
  recordsOutPerSecond: number;
  busyRatio: number;
  idleRatio: number;
  backpressureRatio: number;
}

const ratios = (busy: number, idle: number, backpressured: number) => {
  const total = busy + idle + backpressured;
  if (total <= 0) return { busyRatio: 0, idleRatio: 0, backpressureRatio: 0 };
  return { busyRatio: busy / total, idleRatio: idle / total, backpressureRatio: backpressured / total };
};

/** A later reading with a counter lower than an earlier one is another attempt's: it has no common base. */
function comparable(earlier: SubtaskFigures, later: SubtaskFigures): boolean {
  return (
    later.at > earlier.at &&
    later.recordsIn >= earlier.recordsIn &&
    later.recordsOut >= earlier.recordsOut &&
    later.busyMs + later.idleMs + later.backpressuredMs > earlier.busyMs + earlier.idleMs + earlier.backpressuredMs
  );
}

/**
 * The subtask's rates between its two readings; with one reading only (or
 * two from different attempts), its ratios since it started and no rate.
 */
export function subtaskRates(sample: SubtaskSample): SubtaskRates {
  const { latest, previous } = sample;
  if (previous && comparable(previous, latest)) {
    const seconds = (latest.at - previous.at) / 1000;
    return {
      recordsInPerSecond: (latest.recordsIn - previous.recordsIn) / seconds,
      recordsOutPerSecond: (latest.recordsOut - previous.recordsOut) / seconds,
      ...ratios(
        latest.busyMs - previous.busyMs,
        latest.idleMs - previous.idleMs,
        latest.backpressuredMs - previous.backpressuredMs,
      ),
    };
  }
  return {
    recordsInPerSecond: 0,
    recordsOutPerSecond: 0,
    ...ratios(latest.busyMs, latest.idleMs, latest.backpressuredMs),
  };
}

/** Flink's levels: up to 10% of the time backpressured is ok, up to 50% low, more is high. */
export function backpressureLevel(ratio: number): 'ok' | 'low' | 'high' {
  if (ratio <= 0.1) return 'ok';
  if (ratio <= 0.5) return 'low';
  return 'high';
}

export function samplesOf(vertex: VertexInfo, samples: readonly SubtaskSample[]): SubtaskSample[] {
  return samples.filter((s) => s.latest.vertex === vertex.id).sort((a, b) => a.latest.subtask - b.latest.subtask);
}

/**
 * Flink's IOMetricsInfo summed over a vertex's subtasks. A `-complete` flag is
 * true once every subtask reported; bytes are not counted by Brook's tasks.
 */
export function vertexMetrics(parallelism: number, samples: readonly SubtaskSample[]) {
  const sum = (field: 'recordsIn' | 'recordsOut' | 'busyMs' | 'idleMs' | 'backpressuredMs') =>
    samples.reduce((total, s) => total + s.latest[field], 0);
  const complete = samples.length >= parallelism;
  return {
    'read-bytes': 0,
    'read-bytes-complete': false,
    'write-bytes': 0,
    'write-bytes-complete': false,
    'read-records': sum('recordsIn'),
    'read-records-complete': complete,
    'write-records': sum('recordsOut'),
    'write-records-complete': complete,
    'accumulated-backpressured-time': sum('backpressuredMs'),
    'accumulated-idle-time': sum('idleMs'),
    'accumulated-busy-time': sum('busyMs'),
  };
}

/** A subtask's state: its own when it finished its input while the job runs, else its job's (job-views.ts). */
export function subtaskState<S extends string>(jobTaskState: S, sample: SubtaskSample | undefined): S | 'FINISHED' {
  return jobTaskState === 'RUNNING' && sample?.latest.finished ? 'FINISHED' : jobTaskState;
}

/** Flink's JobVertexDetailsInfo: the vertex with one entry per subtask. */
export function vertexDetails(
  job: JobInfo,
  vertex: VertexInfo,
  samples: readonly SubtaskSample[],
  jobTaskState: string,
  now: number,
) {
  const mine = samplesOf(vertex, samples);
  const end = job.endTime ?? -1;
  return {
    id: vertex.id,
    name: vertex.name,
    maxParallelism: job.maxParallelism,
    parallelism: vertex.parallelism,
    now,
    subtasks: Array.from({ length: vertex.parallelism }, (_, subtask) => {
      const sample = mine.find((s) => s.latest.subtask === subtask);
      const endpoint = sample?.location?.endpoint ?? '(unassigned)';
      return {
        subtask,
        status: subtaskState(jobTaskState, sample),
        attempt: job.restarts,
        endpoint,
        host: endpoint,
        'start-time': job.startTime,
        'end-time': end,
        duration: (job.endTime ?? now) - job.startTime,
        metrics: vertexMetrics(1, sample ? [sample] : []),
        'taskmanager-id': sample?.location?.taskManager ?? '(unassigned)',
        'other-concurrent-attempts': [],
      };
    }),
  };
}

/** Flink's JobVertexBackPressureInfo, from busy, idle and backpressured time (as Flink 1.13+ measures it). */
export function vertexBackpressure(vertex: VertexInfo, samples: readonly SubtaskSample[], now: number) {
  const mine = samplesOf(vertex, samples);
  if (mine.length === 0)
    return { status: 'deprecated', 'backpressure-level': 'ok', 'end-timestamp': now, subtasks: [] };
  const subtasks = mine.map((sample) => {
    const rates = subtaskRates(sample);
    return {
      subtask: sample.latest.subtask,
      'attempt-number': 0,
      'backpressure-level': backpressureLevel(rates.backpressureRatio),
      ratio: rates.backpressureRatio,
      idleRatio: rates.idleRatio,
      busyRatio: rates.busyRatio,
      'other-concurrent-attempts': [],
    };
  });
  const worst = Math.max(...subtasks.map((s) => s.ratio));
  return {
    status: 'ok',
    'backpressure-level': backpressureLevel(worst),
    'end-timestamp': Math.max(...mine.map((s) => s.latest.at)),
    subtasks,
  };
}

/** Flink's Long.MIN_VALUE, what it reports before a watermark arrived. */
export const NO_WATERMARK_TEXT = '-9223372036854775808';

const watermarkText = (watermark: number | undefined) =>
  watermark === undefined ? NO_WATERMARK_TEXT : String(Math.min(watermark, Number.MAX_SAFE_INTEGER));

/** The metrics of one subtask, by Flink's names, as the metric endpoints serve them (values as strings). */
function subtaskMetricValues(sample: SubtaskSample): [string, string][] {
  const { latest } = sample;
  const rates = subtaskRates(sample);
  return [
    ['numRecordsIn', String(latest.recordsIn)],
    ['numRecordsOut', String(latest.recordsOut)],
    ['numRecordsInPerSecond', String(rates.recordsInPerSecond)],
    ['numRecordsOutPerSecond', String(rates.recordsOutPerSecond)],
    ['busyTimeMsPerSecond', String(rates.busyRatio * 1000)],
    ['idleTimeMsPerSecond', String(rates.idleRatio * 1000)],
    ['backPressuredTimeMsPerSecond', String(rates.backpressureRatio * 1000)],
    ['accumulateBusyTimeMs', String(latest.busyMs)],
    ['accumulateIdleTimeMs', String(latest.idleMs)],
    ['accumulateBackPressuredTimeMs', String(latest.backpressuredMs)],
    ['currentInputWatermark', watermarkText(latest.inputWatermark)],
    ['currentOutputWatermark', watermarkText(latest.outputWatermark)],
    ['inputQueueLength', String(latest.inputQueue)],
  ];
}

/** Flink's watermarks endpoint: each subtask's current input watermark, as `<subtask>.currentInputWatermark`. */
export function vertexWatermarks(vertex: VertexInfo, samples: readonly SubtaskSample[]) {
  return samplesOf(vertex, samples).map((s) => ({
    id: `${s.latest.subtask}.currentInputWatermark`,
    value: watermarkText(s.latest.inputWatermark),
  }));
}

/**
 * Flink's `/jobs/:jobid/vertices/:vertexid/metrics`: without `get`, the metric
 * ids available (`<subtask>.<name>`); with `get=a,b`, those ids with values.
 */
export function vertexMetricList(vertex: VertexInfo, samples: readonly SubtaskSample[], get: string[] | undefined) {
  const all = samplesOf(vertex, samples).flatMap((s) =>
    subtaskMetricValues(s).map(([name, value]) => ({ id: `${s.latest.subtask}.${name}`, value })),
  );
  if (!get) return all.map(({ id }) => ({ id }));
  const wanted = new Set(get);
  return all.filter((m) => wanted.has(m.id));
}

const aggregations = ['min', 'max', 'avg', 'sum'] as const;
export type Aggregation = (typeof aggregations)[number];

export function isAggregation(name: string): name is Aggregation {
  return (aggregations as readonly string[]).includes(name);
}

/**
 * Flink's `/jobs/:jobid/vertices/:vertexid/subtasks/metrics` (what Flink's
 * autoscaler reads): each named metric aggregated over the subtasks.
 */
export function aggregatedSubtaskMetrics(
  vertex: VertexInfo,
  samples: readonly SubtaskSample[],
  get: string[] | undefined,
  agg: readonly Aggregation[],
) {
  const bySubtask = samplesOf(vertex, samples).map((s) => new Map(subtaskMetricValues(s)));
  const names = bySubtask[0] ? [...bySubtask[0].keys()] : [];
  if (!get) return names.map((id) => ({ id }));
  return get
    .filter((id) => names.includes(id))
    .map((id) => {
      const values = bySubtask.map((m) => Number(m.get(id)));
      const all = {
        min: Math.min(...values),
        max: Math.max(...values),
        sum: values.reduce((a, b) => a + b, 0),
        avg: values.reduce((a, b) => a + b, 0) / values.length,
      };
      return { id, ...Object.fromEntries((agg.length > 0 ? agg : aggregations).map((a) => [a, all[a]])) };
    });
}
