// The job status tracker turns events into what the REST API reports: states
// with timestamps, restarts, the bounded exception history, and checkpoint
// records whose counts and latest entries survive the bounded history.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JobStatusTracker } from './job-status-tracker.ts';

function tracker(options: { checkpointHistorySize?: number; exceptionHistorySize?: number } = {}) {
  let now = 1000;
  const t = new JobStatusTracker(
    {
      id: '0'.repeat(32),
      name: 'job',
      vertices: [{ id: 'src', name: 'Source', parallelism: 1, operatorUids: ['src'] }],
      edges: [],
      maxParallelism: 128,
    },
    { now: () => now, ...options },
  );
  return { t, advance: (ms: number) => (now += ms) };
}

test('a job goes CREATED → RUNNING → RESTARTING → RUNNING → FINISHED with a timestamp for each state', () => {
  const { t, advance } = tracker();
  assert.equal(t.state, 'CREATED');
  advance(10);
  t.attemptStarted(0);
  advance(10);
  t.restarting(new Error('lost a task'));
  advance(10);
  t.attemptStarted(1, { checkpointId: 3, location: 'file:///c/chk-3', isSavepoint: false });
  advance(10);
  t.ended('finished');
  const info = t.info();
  assert.equal(info.state, 'FINISHED');
  assert.deepEqual(info.timestamps, { CREATED: 1000, RUNNING: 1030, RESTARTING: 1020, FINISHED: 1040 });
  assert.equal(info.restarts, 1);
  assert.deepEqual([info.startTime, info.endTime], [1000, 1040]);
  const stats = t.checkpoints();
  assert.equal(stats.counts.restored, 1);
  assert.deepEqual(stats.restored, {
    id: 3,
    externalPath: 'file:///c/chk-3',
    isSavepoint: false,
    restoreTimestamp: 1030,
  });
  assert.equal(t.exceptions()[0]!.message, 'lost a task');
});

test('a failed job records its failure and passes FAILING on its way to FAILED; a terminal state is final', () => {
  const { t } = tracker();
  t.attemptStarted(0);
  t.ended('failed', new Error('boom'));
  assert.equal(t.state, 'FAILED');
  assert.ok(t.info().timestamps.FAILING !== undefined);
  assert.equal(t.exceptions()[0]!.message, 'boom');
  assert.equal(t.transition('RUNNING'), false);
  t.ended('finished');
  assert.equal(t.state, 'FAILED');
});

test('cancelling then finishing (a stop with cancel-job) ends CANCELED', () => {
  const { t } = tracker();
  t.attemptStarted(0);
  assert.equal(t.cancelling(), true);
  t.ended('finished');
  assert.equal(t.state, 'CANCELED');
});

test('the exception history keeps the newest failures, newest first', () => {
  const { t } = tracker({ exceptionHistorySize: 2 });
  t.attemptStarted(0);
  for (const n of [1, 2, 3]) {
    t.restarting(new Error(`failure ${n}`));
    t.attemptStarted(n);
  }
  assert.deepEqual(
    t.exceptions().map((e) => e.message),
    ['failure 3', 'failure 2'],
  );
  assert.equal(t.info().restarts, 3);
});

test('checkpoints: in progress, completed, superseded (failed) and discarded, with counts beyond the bounded history', () => {
  const { t, advance } = tracker({ checkpointHistorySize: 2 });
  t.attemptStarted(0);
  t.checkpointStarted({ id: 1, isSavepoint: false });
  advance(5);
  t.checkpointCompleted({
    id: 1,
    isSavepoint: false,
    triggerTimestamp: 1000,
    stateSize: 10,
    externalPath: 'file:///c/j/chk-1',
  });
  t.checkpointStarted({ id: 2, isSavepoint: false });
  t.checkpointStarted({ id: 3, isSavepoint: false }); // 2 never completed: superseded
  let stats = t.checkpoints();
  assert.deepEqual(stats.counts, { restored: 0, total: 3, inProgress: 1, completed: 1, failed: 1 });
  assert.deepEqual(
    stats.history.map((r) => [r.id, r.status]),
    [
      [3, 'IN_PROGRESS'],
      [2, 'FAILED'],
    ],
  );
  assert.match(stats.latest.failed!.failureMessage!, /superseded by checkpoint 3/);
  assert.equal(stats.latest.completed!.id, 1, 'the latest completed outlives the bounded history');

  advance(5);
  t.checkpointCompleted({
    id: 4,
    isSavepoint: true,
    triggerTimestamp: 1005,
    stateSize: 20,
    externalPath: 'file:///s/sp',
  });
  t.checkpointsDiscarded('file:///c/j/chk-1/');
  t.restarting(new Error('x')); // 3 is still in progress: it failed with the attempt
  stats = t.checkpoints();
  assert.deepEqual(stats.counts, { restored: 0, total: 4, inProgress: 0, completed: 2, failed: 2 });
  assert.equal(stats.latest.savepoint!.externalPath, 'file:///s/sp');
  assert.equal(stats.latest.completed!.discarded, true);
  assert.equal(stats.latest.savepoint!.discarded, undefined);
  assert.equal(stats.latest.failed!.id, 3);
});

test('a checkpoint taken for failed and then published after all counts as completed once', () => {
  const { t } = tracker();
  t.attemptStarted(0);
  t.checkpointStarted({ id: 1, isSavepoint: false });
  t.checkpointStarted({ id: 2, isSavepoint: false });
  t.checkpointCompleted({ id: 1, isSavepoint: false, triggerTimestamp: 1000, stateSize: 1, externalPath: 'p1' });
  t.checkpointCompleted({ id: 1, isSavepoint: false, triggerTimestamp: 1000, stateSize: 1, externalPath: 'p1' });
  assert.deepEqual(t.checkpoints().counts, { restored: 0, total: 2, inProgress: 1, completed: 1, failed: 0 });
  assert.equal(t.checkpoints().latest.failed, undefined);
});
