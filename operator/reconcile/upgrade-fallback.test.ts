// When a savepoint upgrade cannot simply stop the job with a savepoint: the job
// is between states (wait for it, bounded), has ended (fall back at once), or
// ended with its stop while the JobManager that knew the trigger was lost (read
// the savepoint from the runtime's `_job-ended` marker, not an older checkpoint).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JobState } from '../resource/stream-deployment-status.ts';
import { Harness, makeSpec } from './test-fixtures.ts';

function stableHarness(config: Record<string, string> = {}): Harness {
  const spec = makeSpec();
  const h = new Harness(makeSpec({ config: { ...spec.config, ...config } }));
  h.run(8, 5000);
  assert.equal(h.status?.lifecycleState, 'STABLE');
  return h;
}

function upgrade(h: Harness): void {
  h.setSpec(makeSpec({ image: 'brook:2', config: h.spec.config }));
}

/** Each job state an upgrade can find, and what the savepoint upgrade does first. */
const firstStep: { state: JobState; jobManager: boolean; phase: string; action: string }[] = [
  { state: 'RUNNING', jobManager: true, phase: 'SAVEPOINTING', action: 'triggerSavepoint' },
  { state: 'RESTARTING', jobManager: true, phase: 'WAITING_FOR_JOB', action: 'none' },
  { state: 'FAILING', jobManager: true, phase: 'WAITING_FOR_JOB', action: 'none' },
  { state: 'INITIALIZING', jobManager: true, phase: 'WAITING_FOR_JOB', action: 'none' },
  { state: 'CREATED', jobManager: true, phase: 'WAITING_FOR_JOB', action: 'none' },
  { state: 'FAILED', jobManager: true, phase: 'TEARING_DOWN', action: 'deleteCluster' },
  { state: 'FINISHED', jobManager: true, phase: 'TEARING_DOWN', action: 'deleteCluster' },
  { state: 'CANCELED', jobManager: true, phase: 'TEARING_DOWN', action: 'deleteCluster' },
  { state: 'CANCELLING', jobManager: true, phase: 'TEARING_DOWN', action: 'deleteCluster' },
];

for (const row of firstStep) {
  test(`a savepoint upgrade of a ${row.state} job starts in ${row.phase} (${row.action})`, () => {
    const h = stableHarness();
    h.world.job!.state = row.state;
    h.reconcile();
    upgrade(h);
    const d = h.reconcile();
    assert.equal(d.status.reconciliationStatus?.operation?.phase ?? 'done', row.phase);
    assert.equal(d.action.type, row.action);
    assert.equal(
      d.status.reconciliationStatus?.operation?.mode,
      row.phase === 'TEARING_DOWN' ? 'last-state' : 'savepoint',
    );
  });
}

test('a savepoint upgrade of a job whose JobManager is not answering waits for it (RECONCILING is not an end)', () => {
  const h = stableHarness();
  h.world.jobManagerUnreachable = true;
  h.reconcile();
  upgrade(h);
  const d = h.reconcile();
  assert.equal(d.status.jobStatus?.state, 'RECONCILING');
  assert.equal(d.status.reconciliationStatus?.operation?.phase, 'WAITING_FOR_JOB');
});

test('a savepoint upgrade with the JobManager Deployment gone falls back at once: nothing can answer a savepoint', () => {
  const h = stableHarness();
  h.world.job!.state = 'RESTARTING';
  h.reconcile();
  h.world.apply({ type: 'deleteCluster' });
  upgrade(h);
  const d = h.reconcile();
  assert.equal(d.status.reconciliationStatus?.operation?.mode, 'last-state');
});

test('a RESTARTING job is waited for, then stopped with a savepoint once it runs again; the new job restores that savepoint', () => {
  const h = stableHarness();
  const oldJob = h.status!.jobStatus!.jobId!;
  h.world.job!.state = 'RESTARTING';
  upgrade(h);
  for (let i = 0; i < 5; i++) {
    const waiting = h.reconcile();
    assert.equal(waiting.action.type, 'none');
    assert.equal(waiting.status.reconciliationStatus?.operation?.phase, 'WAITING_FOR_JOB');
    assert.match(waiting.status.reconciliationStatus?.operation?.note ?? '', /waiting for job .* \(RESTARTING\)/);
    h.world.tick(5000);
  }
  assert.equal(h.decisions.flatMap((d) => d.events).filter((e) => e.reason === 'UpgradeWaiting').length, 1);
  h.world.job!.state = 'RUNNING';
  const stop = h.reconcile();
  assert.ok(stop.action.type === 'triggerSavepoint' && stop.action.stop);
  h.world.tick(1000);
  h.run(3);
  const path = h.world.completedStops.get(oldJob)?.[0];
  assert.ok(path);
  assert.equal(h.world.deploys.at(-1)?.restorePath, path);
});

test('a job still RESTARTING after upgrade.wait-for-running falls back to its latest checkpoint, and says so', () => {
  const h = stableHarness({ 'kubernetes.operator.job.upgrade.wait-for-running': '1 min' });
  const oldJob = h.status!.jobStatus!.jobId!;
  h.world.job!.state = 'RESTARTING';
  upgrade(h);
  h.reconcile();
  h.world.now += 30_000;
  assert.equal(h.reconcile().action.type, 'none', 'still within the wait');
  h.world.now += 31_000;
  const fallback = h.reconcile();
  assert.equal(fallback.action.type, 'deleteCluster');
  assert.equal(fallback.status.reconciliationStatus?.operation?.mode, 'last-state');
  assert.match(fallback.status.reconciliationStatus?.operation?.note ?? '', /stayed RESTARTING for 61s/);
  assert.ok(fallback.events.some((e) => e.reason === 'SavepointError'));
  h.run(3);
  assert.equal(h.world.deploys.at(-1)?.restorePath, h.world.checkpoints.get(oldJob)!.at(-1)!.path);
});

test('a job that fails for good while waited for falls back at once', () => {
  const h = stableHarness();
  h.world.job!.state = 'RESTARTING';
  upgrade(h);
  h.reconcile();
  h.world.job!.state = 'FAILED';
  const d = h.reconcile();
  assert.equal(d.status.reconciliationStatus?.operation?.mode, 'last-state');
  assert.match(d.status.reconciliationStatus?.operation?.note ?? '', /is FAILED/);
});

test('a job that restarts during its stop-with-savepoint is waited for and stopped again with a new trigger', () => {
  const h = stableHarness();
  upgrade(h);
  const first = h.reconcile();
  assert.ok(first.action.type === 'triggerSavepoint');
  h.world.triggers.clear(); // the attempt, and the trigger with it, is lost
  h.world.job!.state = 'RESTARTING';
  const waiting = h.reconcile();
  assert.equal(waiting.status.reconciliationStatus?.operation?.phase, 'WAITING_FOR_JOB');
  h.world.job!.state = 'RUNNING';
  const again = h.reconcile();
  assert.ok(again.action.type === 'triggerSavepoint' && again.action.stop);
  assert.notEqual(again.action.triggerId, first.action.triggerId);
  assert.equal(again.status.reconciliationStatus?.operation?.savepoint?.attempt, 2);
});

test("a JobManager restarted after the stop completed: the savepoint path is read from the job's end marker, not an older checkpoint", () => {
  const h = stableHarness();
  const oldJob = h.status!.jobStatus!.jobId!;
  upgrade(h);
  h.reconcile();
  h.world.tick(1000); // the stop completes, the runtime writes the marker
  const path = h.world.completedStops.get(oldJob)![0]!;
  h.world.restartJobManager(); // a new process: job FINISHED, trigger UNKNOWN
  const read = h.reconcile();
  assert.equal(read.status.reconciliationStatus?.operation?.restore?.path, path);
  assert.equal(read.status.reconciliationStatus?.operation?.restore?.source, 'savepoint');
  assert.equal(read.status.jobStatus?.savepointInfo?.lastSavepoint?.path, path);
  assert.ok(read.events.some((e) => e.reason === 'SavepointCompleted' && /end marker/.test(e.message)));
  assert.equal(read.action.type, 'deleteCluster');
  h.run(2);
  assert.equal(h.world.deploys.at(-1)?.restorePath, path);
  assert.notEqual(path, h.world.checkpoints.get(oldJob)!.at(-1)!.path);
});

test('with no end marker either, the upgrade falls back to the latest checkpoint and says why', () => {
  const h = stableHarness();
  const oldJob = h.status!.jobStatus!.jobId!;
  upgrade(h);
  h.reconcile();
  h.world.tick(1000);
  h.world.restartJobManager();
  h.world.endings.clear();
  const d = h.reconcile();
  assert.equal(d.status.reconciliationStatus?.operation?.mode, 'last-state');
  assert.match(d.status.reconciliationStatus?.operation?.note ?? '', /no end marker/);
  assert.ok(d.events.some((e) => e.reason === 'SavepointError' && /no end marker/.test(e.message)));
  h.run(3);
  assert.equal(h.world.deploys.at(-1)?.restorePath, h.world.checkpoints.get(oldJob)!.at(-1)!.path);
});

test('an end marker without a savepoint (the job failed) falls back to the latest checkpoint', () => {
  const h = stableHarness();
  upgrade(h);
  h.reconcile();
  h.world.triggers.clear();
  h.world.job!.state = 'FAILED';
  h.world.endings.set(h.world.job!.id, { state: 'FAILED', at: h.world.now });
  const d = h.reconcile();
  assert.equal(d.status.reconciliationStatus?.operation?.mode, 'last-state');
  assert.match(d.status.reconciliationStatus?.operation?.note ?? '', /ended FAILED without a savepoint/);
});
