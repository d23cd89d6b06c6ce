// Checkpoint statistics in Flink's shape: nearest-rank percentiles checked
// against a hand computation, and per-status fields of each record.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkpointStatistics, statsSummary } from './checkpoint-views.ts';

test('statsSummary: min, max, rounded mean and nearest-rank percentiles; zeros when empty', () => {
  const values = Array.from({ length: 10 }, (_, i) => (i + 1) * 10); // 10..100
  assert.deepEqual(statsSummary(values), {
    min: 10,
    max: 100,
    avg: 55,
    p50: 50,
    p90: 90,
    p95: 100,
    p99: 100,
    p999: 100,
  });
  assert.deepEqual(statsSummary([7]), { min: 7, max: 7, avg: 7, p50: 7, p90: 7, p95: 7, p99: 7, p999: 7 });
  assert.deepEqual(statsSummary([]), { min: 0, max: 0, avg: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0 });
});

test('a completed savepoint, a failed and an in-progress checkpoint carry the fields of their status', () => {
  const completed = checkpointStatistics(
    {
      id: 4,
      kind: 'savepoint',
      status: 'COMPLETED',
      triggerTimestamp: 100,
      endTimestamp: 130,
      stateSize: 9,
      externalPath: 'file:///sp',
    },
    3,
    500,
  );
  assert.equal(completed.className, 'completed');
  assert.deepEqual(
    [
      completed.is_savepoint,
      completed.checkpoint_type,
      completed.end_to_end_duration,
      completed.num_acknowledged_subtasks,
    ],
    [true, 'SAVEPOINT', 30, 3],
  );
  assert.ok('external_path' in completed);
  assert.deepEqual([completed.external_path, completed.discarded], ['file:///sp', false]);

  const failed = checkpointStatistics(
    {
      id: 5,
      kind: 'checkpoint',
      status: 'FAILED',
      triggerTimestamp: 200,
      endTimestamp: 260,
      failureMessage: 'timed out',
    },
    3,
    500,
  );
  assert.ok('failure_message' in failed);
  assert.deepEqual([failed.className, failed.failure_timestamp, failed.failure_message], ['failed', 260, 'timed out']);
  assert.equal('external_path' in failed, false);

  const running = checkpointStatistics(
    { id: 6, kind: 'checkpoint', status: 'IN_PROGRESS', triggerTimestamp: 400 },
    3,
    500,
  );
  assert.deepEqual(
    [running.className, running.end_to_end_duration, running.latest_ack_timestamp, running.num_acknowledged_subtasks],
    ['in_progress', 100, -1, 0],
  );
});
