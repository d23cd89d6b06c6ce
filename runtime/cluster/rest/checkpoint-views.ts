// The JSON of `GET /jobs/:id/checkpoints`, in Flink's CheckpointingStatistics
// shape (counts, summary, latest, history), computed purely from the records a
// backend keeps.
import type { CheckpointRecord, CheckpointStats } from '../jobs-backend.ts';

export interface StatsSummary {
  min: number;
  max: number;
  avg: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
}

/** Min, max, mean and nearest-rank percentiles; all 0 without values. */
export function statsSummary(values: readonly number[]): StatsSummary {
  if (values.length === 0) return { min: 0, max: 0, avg: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
  return {
    min: sorted[0]!,
    max: sorted.at(-1)!,
    avg: Math.round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
    p50: rank(0.5),
    p90: rank(0.9),
    p95: rank(0.95),
    p99: rank(0.99),
    p999: rank(0.999),
  };
}

const classNames = { COMPLETED: 'completed', FAILED: 'failed', IN_PROGRESS: 'in_progress' } as const;

/** One checkpoint as Flink's CheckpointStatistics (with `className` as Flink's JSON type tag). */
export function checkpointStatistics(record: CheckpointRecord, numSubtasks: number, now: number) {
  const isSavepoint = record.kind === 'savepoint';
  const base = {
    className: classNames[record.status],
    id: record.id,
    status: record.status,
    is_savepoint: isSavepoint,
    savepointFormat: isSavepoint ? 'CANONICAL' : null,
    trigger_timestamp: record.triggerTimestamp,
    latest_ack_timestamp: record.endTimestamp ?? -1,
    checkpointed_size: record.stateSize ?? 0,
    state_size: record.stateSize ?? 0,
    end_to_end_duration: (record.endTimestamp ?? now) - record.triggerTimestamp,
    alignment_buffered: 0,
    processed_data: 0,
    persisted_data: 0,
    num_subtasks: numSubtasks,
    num_acknowledged_subtasks: record.status === 'COMPLETED' ? numSubtasks : 0,
    checkpoint_type: isSavepoint ? 'SAVEPOINT' : 'CHECKPOINT',
    tasks: {},
  };
  if (record.status === 'COMPLETED')
    return { ...base, external_path: record.externalPath ?? null, discarded: record.discarded ?? false };
  if (record.status === 'FAILED')
    return { ...base, failure_timestamp: record.endTimestamp ?? -1, failure_message: record.failureMessage ?? null };
  return base;
}

export function checkpointingStatistics(stats: CheckpointStats, numSubtasks: number, now: number) {
  const view = (record: CheckpointRecord | undefined) =>
    record ? checkpointStatistics(record, numSubtasks, now) : null;
  const completed = stats.history.filter((r) => r.status === 'COMPLETED');
  const sizes = completed.map((r) => r.stateSize ?? 0);
  const zeros = statsSummary(completed.map(() => 0));
  return {
    counts: {
      restored: stats.counts.restored,
      total: stats.counts.total,
      in_progress: stats.counts.inProgress,
      completed: stats.counts.completed,
      failed: stats.counts.failed,
    },
    summary: {
      checkpointed_size: statsSummary(sizes),
      state_size: statsSummary(sizes),
      end_to_end_duration: statsSummary(completed.map((r) => (r.endTimestamp ?? now) - r.triggerTimestamp)),
      alignment_buffered: zeros,
      processed_data: zeros,
      persisted_data: zeros,
    },
    latest: {
      completed: view(stats.latest.completed),
      savepoint: view(stats.latest.savepoint),
      failed: view(stats.latest.failed),
      restored: stats.restored
        ? {
            id: stats.restored.id,
            restore_timestamp: stats.restored.restoreTimestamp,
            is_savepoint: stats.restored.isSavepoint,
            external_path: stats.restored.externalPath,
          }
        : null,
    },
    history: stats.history.map((r) => checkpointStatistics(r, numSubtasks, now)),
  };
}
