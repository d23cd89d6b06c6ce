// decide() through its lifecycle, case by case: first deployment, upgrades in
// each mode, suspend/resume, manual savepoints, failures and restart policies,
// rollback, deletion, invalid specs, and operator restarts at each step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide } from './decide.ts';
import { Harness, makeSpec, NAME, UID } from './test-fixtures.ts';
import { SimulatedWorld } from './simulated-world.ts';
import { jobIdFor } from './ids.ts';

test('a new resource is deployed from empty state, becomes DEPLOYED, then STABLE after the stability window', () => {
  const h = new Harness(makeSpec());
  const first = h.reconcile();
  assert.equal(first.action.type, 'deploy');
  assert.equal(first.status.lifecycleState, 'DEPLOYED');
  assert.equal(first.status.jobStatus?.jobId, jobIdFor(UID, 1));
  assert.equal(first.status.jobStatus?.restoredFrom?.source, 'none');
  assert.equal(first.status.observedGeneration, 1);
  h.world.tick(1000);
  const running = h.run(1);
  assert.equal(running.status.jobStatus?.state, 'RUNNING');
  assert.equal(running.status.lifecycleState, 'DEPLOYED', 'running but not yet for the stability window');
  const stable = h.run(4);
  assert.equal(stable.status.lifecycleState, 'STABLE');
  assert.deepEqual(
    stable.status.conditions?.map((c) => [c.type, c.status]),
    [
      ['Ready', 'True'],
      ['Progressing', 'False'],
      ['Degraded', 'False'],
    ],
  );
  assert.ok(stable.status.reconciliationStatus?.lastStableSpec);
});

test('initialSavepointPath is what the first deployment restores', () => {
  const h = new Harness(makeSpec({}, { initialSavepointPath: 's3://bucket/sp/initial' }));
  const d = h.reconcile();
  assert.equal(d.action.type === 'deploy' && d.action.restore.path, 's3://bucket/sp/initial');
  assert.equal(d.status.jobStatus?.restoredFrom?.source, 'initial');
});

test('a resource created suspended deploys nothing and resumes from initialSavepointPath', () => {
  const h = new Harness(makeSpec({}, { state: 'suspended', initialSavepointPath: 's3://bucket/sp/initial' }));
  const d = h.reconcile();
  assert.equal(d.action.type, 'none');
  assert.equal(d.status.lifecycleState, 'SUSPENDED');
  h.setSpec(makeSpec({}, { initialSavepointPath: 's3://bucket/sp/initial' }));
  const resumed = h.reconcile();
  assert.equal(resumed.action.type === 'deploy' && resumed.action.restore.path, 's3://bucket/sp/initial');
});

/** A harness with a stable job, two checkpoints in. */
function stableHarness(
  job: Parameters<typeof makeSpec>[1] = {},
  overrides: Parameters<typeof makeSpec>[0] = {},
): Harness {
  const h = new Harness(makeSpec(overrides, job));
  h.run(8, 5000);
  assert.equal(h.status?.lifecycleState, 'STABLE');
  return h;
}

test('savepoint upgrade: stop-with-savepoint, record the path, tear down, deploy the new spec from that path', () => {
  const h = stableHarness();
  const oldJob = h.status!.jobStatus!.jobId!;
  h.setSpec(makeSpec({ image: 'brook:2' }));
  const start = h.reconcile();
  assert.equal(start.action.type, 'triggerSavepoint');
  assert.ok(start.action.type === 'triggerSavepoint' && start.action.stop);
  const op = start.status.reconciliationStatus?.operation;
  assert.equal(op?.phase, 'SAVEPOINTING');
  assert.equal(
    op?.savepoint?.triggerId,
    start.action.type === 'triggerSavepoint' ? start.action.triggerId : '',
    'trigger id recorded before it is sent',
  );
  assert.equal(start.status.lifecycleState, 'UPGRADING');
  h.world.tick(1000, () => 0); // the savepoint completes
  const recorded = h.reconcile();
  const path = h.world.completedStops.get(oldJob)![0]!;
  assert.equal(recorded.status.reconciliationStatus?.operation?.restore?.path, path, 'path recorded before teardown');
  assert.equal(recorded.action.type, 'deleteCluster');
  const deploy = h.reconcile();
  assert.equal(deploy.action.type, 'deploy');
  assert.ok(
    deploy.action.type === 'deploy' && deploy.action.restore.path === path && deploy.action.spec.image === 'brook:2',
  );
  assert.notEqual(deploy.status.jobStatus?.jobId, oldJob, 'a new job id, so checkpoints of two runs never mix');
  assert.equal(deploy.status.jobStatus?.savepointInfo?.lastSavepoint?.triggerType, 'upgrade');
  h.run(6);
  assert.equal(h.status?.lifecycleState, 'STABLE');
});

test('last-state upgrade: tear down without stopping, find the newest checkpoint in storage, restore it', () => {
  const h = stableHarness({ upgradeMode: 'last-state' });
  const oldJob = h.status!.jobStatus!.jobId!;
  h.setSpec(makeSpec({ image: 'brook:2' }, { upgradeMode: 'last-state' }));
  assert.equal(h.reconcile().action.type, 'deleteCluster');
  const locating = h.reconcile();
  assert.equal(locating.status.reconciliationStatus?.operation?.phase, 'LOCATING_CHECKPOINT');
  const deploy = h.reconcile();
  const newest = h.world.checkpoints.get(oldJob)!.at(-1)!;
  assert.ok(deploy.action.type === 'deploy');
  assert.equal(deploy.action.restore.path, newest.path);
  assert.equal(deploy.action.restore.source, 'checkpoint');
});

test('stateless upgrade: cancel, tear down, deploy from empty state', () => {
  const h = stableHarness({ upgradeMode: 'stateless' });
  h.setSpec(makeSpec({ image: 'brook:2' }, { upgradeMode: 'stateless' }));
  assert.equal(h.reconcile().action.type, 'cancelJob');
  assert.equal(h.reconcile().action.type, 'deleteCluster');
  const deploy = h.reconcile();
  assert.ok(deploy.action.type === 'deploy' && deploy.action.restore.source === 'none');
});

test('a change to operator settings, upgradeMode or restartPolicy alone restarts nothing', () => {
  const h = stableHarness();
  const base = makeSpec();
  h.setSpec({
    ...base,
    config: { ...base.config, 'kubernetes.operator.savepoint.timeout': '20 min' },
    job: { ...base.job, upgradeMode: 'last-state', restartPolicy: 'FromLatestState' },
  });
  const d = h.reconcile();
  assert.equal(d.action.type, 'none');
  assert.equal(d.status.lifecycleState, 'STABLE');
  assert.equal(
    (d.status.reconciliationStatus?.lastReconciledSpec as { job: { upgradeMode: string } }).job.upgradeMode,
    'last-state',
  );
});

test('a TaskManager replica change (kubectl scale) rescales through a savepoint', () => {
  const h = stableHarness();
  h.setSpec(makeSpec({ taskManager: { replicas: 3 } }));
  const d = h.reconcile();
  assert.ok(d.action.type === 'triggerSavepoint' && d.action.stop);
});

test('suspend in savepoint mode takes a savepoint and resume restores it', () => {
  const h = stableHarness();
  h.setSpec(makeSpec({}, { state: 'suspended' }));
  assert.equal(h.reconcile().action.type, 'triggerSavepoint');
  h.world.tick(1000);
  assert.equal(h.reconcile().action.type, 'deleteCluster');
  const suspended = h.reconcile();
  assert.equal(suspended.action.type, 'none');
  assert.equal(suspended.status.lifecycleState, 'SUSPENDED');
  assert.equal(suspended.status.jobStatus?.state, 'SUSPENDED');
  const path = suspended.status.reconciliationStatus?.pendingRestore?.path;
  assert.match(path ?? '', /savepoint-/);
  assert.equal(h.reconcile().action.type, 'none', 'stays suspended');
  h.setSpec(makeSpec());
  const resumed = h.reconcile();
  assert.ok(resumed.action.type === 'deploy' && resumed.action.restore.path === path);
});

test('savepointTriggerNonce takes one manual savepoint, recorded with a StreamSnapshot name', () => {
  const h = stableHarness();
  h.setSpec(makeSpec({}, { savepointTriggerNonce: 1 }));
  const d = h.reconcile();
  assert.ok(d.action.type === 'triggerSavepoint' && !d.action.stop);
  assert.equal(d.status.jobStatus?.savepointInfo?.pendingTrigger?.nonce, 1);
  assert.equal(h.reconcile().action.type, 'none', 'in progress: not sent again');
  h.world.tick(1000);
  const done = h.reconcile();
  const last = done.status.jobStatus?.savepointInfo?.lastSavepoint;
  assert.equal(last?.triggerType, 'manual');
  assert.match(last?.snapshotName ?? '', /^orders-manual-/);
  h.run(3);
  assert.equal(h.actions().filter((a) => a === 'triggerSavepoint').length, 1);
});

test('restartNonce restarts the job following upgradeMode (a savepoint here)', () => {
  const h = stableHarness();
  h.setSpec(makeSpec({ restartNonce: 7 }));
  const d = h.reconcile();
  assert.equal(d.status.reconciliationStatus?.operation?.kind, 'restart');
  assert.ok(d.action.type === 'triggerSavepoint' && d.action.stop);
});

test('an operator that dies after writing the status re-sends the same trigger, and the JobManager takes one savepoint', () => {
  const h = stableHarness();
  h.setSpec(makeSpec({ image: 'brook:2' }));
  const first = h.reconcile('after-write');
  const again = h.reconcile();
  assert.ok(first.action.type === 'triggerSavepoint' && again.action.type === 'triggerSavepoint');
  assert.equal(again.action.triggerId, first.action.triggerId);
  h.world.tick(1000);
  h.run(4);
  assert.equal(h.world.violations.length, 0);
  assert.equal(h.world.savepoints.size, 1);
});

test('an operator that dies after recording the savepoint path deploys from exactly that path', () => {
  const h = stableHarness();
  h.setSpec(makeSpec({ image: 'brook:2' }));
  h.reconcile();
  h.world.tick(1000);
  const recorded = h.reconcile('after-write');
  const path = recorded.status.reconciliationStatus?.operation?.restore?.path;
  assert.ok(path);
  h.reconcile(); // deleteCluster, now acted on
  const deploy = h.reconcile('after-write');
  assert.ok(deploy.action.type === 'deploy' && deploy.action.restore.path === path);
  const redo = h.reconcile(); // the deployment was never created: converge creates it from the record
  assert.ok(
    redo.action.type === 'deploy' && redo.action.restore.path === path && redo.action.jobId === deploy.action.jobId,
  );
});

test('a failed stop-with-savepoint is retried with a new trigger, then the upgrade is held back with an honest error', () => {
  const h = stableHarness();
  h.setSpec(makeSpec({ image: 'brook:2' }));
  const sent = new Set<string>();
  for (let attempt = 1; attempt <= 3; attempt++) {
    const d = h.reconcile();
    assert.ok(d.action.type === 'triggerSavepoint' && d.action.stop);
    sent.add(d.action.triggerId);
    for (const t of h.world.triggers.values())
      if (t.status === 'IN_PROGRESS') Object.assign(t, { status: 'FAILED', failure: 'checkpoint declined' });
  }
  assert.equal(sent.size, 3, 'each attempt has its own trigger id');
  const blocked = h.reconcile();
  assert.equal(blocked.status.reconciliationStatus?.operation?.phase, 'BLOCKED');
  assert.equal(blocked.status.jobStatus?.state, 'RUNNING', 'the old job keeps running');
  assert.match(blocked.status.error?.message ?? '', /failed 3 times.*checkpoint declined.*upgradeMode/);
  assert.equal(blocked.status.conditions?.find((c) => c.type === 'Progressing')?.reason, 'UpgradeBlocked');
  assert.equal(h.reconcile().action.type, 'none', 'no retry loop while held back');
  h.setSpec(makeSpec({ image: 'brook:2', restartNonce: 1 }));
  assert.equal(h.reconcile().action.type, 'triggerSavepoint', 'a spec change tries again');
});

test('a savepoint upgrade that hangs can be redirected by switching upgradeMode to last-state', () => {
  const h = stableHarness();
  h.setSpec(makeSpec({ image: 'brook:2' }));
  h.reconcile();
  h.world.now += 11 * 60_000;
  const slow = h.reconcile();
  assert.equal(slow.status.error?.reason, 'SavepointSlow');
  for (const t of h.world.triggers.values()) t.status = 'IN_PROGRESS';
  h.setSpec(makeSpec({ image: 'brook:2' }, { upgradeMode: 'last-state' }));
  assert.equal(h.reconcile().action.type, 'deleteCluster');
});

test('a savepoint upgrade of a job that is not running falls back to its latest checkpoint', () => {
  const h = stableHarness();
  const oldJob = h.status!.jobStatus!.jobId!;
  h.world.job!.state = 'FAILED';
  h.reconcile();
  h.setSpec(makeSpec({ image: 'brook:2' }));
  const d = h.reconcile();
  assert.equal(d.action.type, 'deleteCluster');
  assert.match(d.status.reconciliationStatus?.operation?.note ?? '', /no savepoint can be taken/);
  h.reconcile();
  const deploy = h.reconcile();
  assert.ok(
    deploy.action.type === 'deploy' && deploy.action.restore.path === h.world.checkpoints.get(oldJob)!.at(-1)!.path,
  );
});

test('restartPolicy Never leaves a FAILED job failed, with its cause in status', () => {
  const h = stableHarness();
  Object.assign(h.world.job!, { state: 'FAILED', failure: 'poison record' });
  const d = h.reconcile();
  assert.equal(d.action.type, 'none');
  assert.equal(d.status.lifecycleState, 'FAILED');
  assert.match(d.status.error?.message ?? '', /FAILED: poison record.*restartPolicy is Never/);
  assert.equal(d.status.conditions?.find((c) => c.type === 'Ready')?.reason, 'JobFailed');
});

test('restartPolicy FromLatestState restarts from the latest checkpoint after a backoff, up to the limit', () => {
  const config = { ...makeSpec().config, 'kubernetes.operator.job.restart.max-attempts': '2' };
  const h = stableHarness({ restartPolicy: 'FromLatestState' }, { config });
  const failAndRecover = () => {
    const failedJob = h.world.job!.id;
    Object.assign(h.world.job!, { state: 'FAILED', failure: 'poison record' });
    const waiting = h.reconcile();
    assert.equal(waiting.action.type, 'none', 'backoff first');
    assert.ok(waiting.status.jobStatus?.failureRestarts?.nextAttemptAt);
    h.world.now = waiting.status.jobStatus.failureRestarts.nextAttemptAt!;
    assert.equal(h.reconcile().action.type, 'deleteCluster');
    h.reconcile();
    const deploy = h.reconcile();
    assert.ok(
      deploy.action.type === 'deploy' &&
        deploy.action.restore.path === h.world.checkpoints.get(failedJob)!.at(-1)!.path,
    );
    h.world.tick(1000);
    h.world.tick(1000); // running, then a checkpoint
    h.reconcile();
  };
  failAndRecover();
  assert.equal(h.status?.jobStatus?.failureRestarts?.attempts, 1);
  failAndRecover();
  Object.assign(h.world.job!, { state: 'FAILED', failure: 'poison record' });
  const gaveUp = h.reconcile();
  assert.equal(gaveUp.status.error?.reason, 'RestartLimitReached');
  assert.equal(gaveUp.status.lifecycleState, 'FAILED');
});

test('restartPolicy FromSavepointOnFailure restarts from the last savepoint', () => {
  const h = stableHarness({ restartPolicy: 'FromSavepointOnFailure', savepointTriggerNonce: 1 });
  h.world.tick(1000);
  h.run(2);
  const savepoint = h.status!.jobStatus!.savepointInfo!.lastSavepoint!.path;
  h.world.job!.state = 'FAILED';
  const waiting = h.reconcile();
  h.world.now = waiting.status.jobStatus!.failureRestarts!.nextAttemptAt!;
  h.reconcile();
  const deploy = h.reconcile();
  assert.ok(deploy.action.type === 'deploy' && deploy.action.restore.path === savepoint);
});

test("restarts count the savepoints users took through their own StreamSnapshots as the deployment's state", () => {
  const userSavepoint = (h: ReturnType<typeof stableHarness>, path: string) => {
    h.world.userSavepoints.push({
      path,
      timestamp: h.world.now,
      triggerType: 'manual',
      jobId: h.status!.jobStatus!.jobId!,
      snapshotName: 'before-migration',
    });
  };
  const restartAfterFailure = (h: ReturnType<typeof stableHarness>) => {
    h.world.job!.state = 'FAILED';
    const waiting = h.reconcile();
    h.world.now = waiting.status.jobStatus!.failureRestarts!.nextAttemptAt!;
    for (let i = 0; i < 10; i++) {
      const d = h.reconcile();
      h.world.tick(100);
      if (d.action.type === 'deploy') return d.action.restore;
    }
    assert.fail('no redeploy');
  };

  // FromSavepointOnFailure: the user's savepoint, newer than the operator's, is the last savepoint.
  const fromSavepoint = stableHarness({ restartPolicy: 'FromSavepointOnFailure', savepointTriggerNonce: 1 });
  fromSavepoint.world.tick(1000);
  fromSavepoint.run(2);
  const operatorTaken = fromSavepoint.status!.jobStatus!.savepointInfo!.lastSavepoint!.path;
  fromSavepoint.world.tick(60_000);
  userSavepoint(fromSavepoint, 's3://state/savepoints/user-1');
  const restored = restartAfterFailure(fromSavepoint);
  assert.equal(restored.path, 's3://state/savepoints/user-1', `not the older ${operatorTaken}`);

  // With none of the operator's own, a user's savepoint is still one (not NoStateToRestart).
  const only = stableHarness({ restartPolicy: 'FromSavepointOnFailure' });
  userSavepoint(only, 's3://state/savepoints/user-2');
  assert.equal(restartAfterFailure(only).path, 's3://state/savepoints/user-2');

  // FromLatestState: a user's savepoint newer than the job's latest checkpoint is its latest state.
  const latest = stableHarness({ restartPolicy: 'FromLatestState' });
  latest.world.tick(30_000);
  latest.world.now += 1_000; // after the job's latest checkpoint
  userSavepoint(latest, 's3://state/savepoints/user-3');
  const fromLatest = restartAfterFailure(latest);
  assert.deepEqual([fromLatest.source, fromLatest.path], ['savepoint', 's3://state/savepoints/user-3']);
});

test('max state age keeps a job with stale state from being restarted', () => {
  const config = { ...makeSpec().config, 'kubernetes.operator.job.restart.max-state-age': '1 min' };
  const h = stableHarness({ restartPolicy: 'FromLatestState' }, { config });
  h.world.job!.state = 'FAILED';
  h.world.now += 10 * 60_000;
  const d = h.reconcile();
  h.world.now = d.status.jobStatus!.failureRestarts!.nextAttemptAt! + 1;
  const refused = h.reconcile();
  assert.equal(refused.status.error?.reason, 'StateTooOld');
  assert.equal(refused.action.type, 'none');
});

test('rollback: an upgrade that fails before it is stable rolls back to the last stable spec from the upgrade savepoint', () => {
  const config = { ...makeSpec().config, 'kubernetes.operator.deployment.rollback.enabled': 'true' };
  const h = stableHarness({}, { config });
  h.setSpec(makeSpec({ image: 'brook:bad', config }));
  h.reconcile();
  h.world.tick(1000);
  h.reconcile();
  const deploy = h.reconcile();
  assert.ok(deploy.action.type === 'deploy');
  const upgradeSavepoint = deploy.action.restore.path;
  h.world.tick(1000);
  h.reconcile();
  h.world.job!.state = 'FAILED';
  h.world.job!.failure = 'Error: cannot parse --threshold';
  const rolling = h.reconcile();
  assert.equal(rolling.status.lifecycleState, 'ROLLING_BACK');
  assert.equal(
    rolling.events.find((e) => e.reason === 'Rollback')?.message,
    'rolling back generation 2: the job FAILED before becoming stable: Error: cannot parse --threshold',
    "the Event carries the failed job's cause",
  );
  assert.equal(rolling.action.type, 'deleteCluster', 'the failed job needs no cancel');
  const back = h.reconcile();
  assert.ok(
    back.action.type === 'deploy' &&
      back.action.spec.image === 'brook:1' &&
      back.action.restore.path === upgradeSavepoint,
  );
  h.run(6);
  assert.equal(h.status?.lifecycleState, 'ROLLED_BACK');
  assert.equal(h.reconcile().action.type, 'none', 'the bad spec is not tried again');
  h.setSpec(makeSpec({ image: 'brook:3', config }));
  assert.equal(h.reconcile().action.type, 'triggerSavepoint', 'a new spec is');
});

test('rollback also happens when the new spec is not stable within the readiness timeout', () => {
  const config = {
    ...makeSpec().config,
    'kubernetes.operator.deployment.rollback.enabled': 'true',
    'kubernetes.operator.deployment.readiness.timeout': '1 min',
  };
  const h = stableHarness({}, { config });
  h.setSpec(makeSpec({ image: 'brook:slow', config }));
  h.reconcile();
  h.world.tick(1000);
  h.reconcile();
  h.reconcile();
  h.world.jobManagerUnreachable = true; // never gets to RUNNING as far as the operator can see
  h.run(20, 5000);
  assert.equal(h.status?.reconciliationStatus?.state, 'ROLLED_BACK');
});

test('a JobManager Deployment deleted behind the operator is recreated for the same job', () => {
  const h = stableHarness();
  const jobId = h.status!.jobStatus!.jobId;
  h.world.apply({ type: 'deleteCluster' });
  const d = h.reconcile();
  assert.ok(d.action.type === 'deploy' && d.action.jobId === jobId);
  assert.ok(d.events.some((e) => e.reason === 'RecoverDeployment'));
});

test('deletion cancels the running job, then removes the finalizer', () => {
  const h = stableHarness();
  h.world.deletionRequested = true;
  const d = h.reconcile();
  assert.equal(d.action.type, 'cancelJob');
  assert.equal(d.status.lifecycleState, 'DELETING');
  assert.equal(h.reconcile().action.type, 'removeFinalizer');
});

test('with savepoint-on-deletion, deletion stops the job with a savepoint first', () => {
  const config = { ...makeSpec().config, 'kubernetes.operator.job.savepoint-on-deletion': 'true' };
  const h = stableHarness({}, { config });
  h.world.deletionRequested = true;
  assert.ok(h.reconcile().action.type === 'triggerSavepoint');
  h.world.tick(1000);
  const done = h.reconcile();
  assert.equal(done.action.type, 'removeFinalizer');
  assert.match(done.status.jobStatus?.savepointInfo?.lastSavepoint?.path ?? '', /savepoint-/);
});

test('a spec the CRD would refuse keeps the last accepted spec running and says which field is wrong', () => {
  const h = stableHarness();
  const bad = makeSpec();
  bad.config = { ...bad.config, 'kubernetes.operator.savepoint.timeout': 'soon' };
  h.setSpec(bad);
  const d = h.reconcile();
  assert.equal(d.action.type, 'none');
  assert.equal(d.status.error?.reason, 'ValidationError');
  assert.match(d.status.error?.message ?? '', /kubernetes\.operator\.savepoint\.timeout/);
  assert.equal(d.status.lifecycleState, 'STABLE');
});

test('old savepoints beyond the history count are disposed, and leave the list only once storage lost them', () => {
  const config = { ...makeSpec().config, 'kubernetes.operator.savepoint.history.max.count': '2' };
  const h = stableHarness({}, { config });
  let d = h.reconcile();
  for (let n = 1; n <= 3; n++) {
    h.setSpec(makeSpec({ config }, { savepointTriggerNonce: n }));
    h.reconcile();
    h.world.tick(1000);
    d = h.reconcile();
  }
  assert.equal(d.action.type, 'disposeSavepoints');
  const disposed = d.action.type === 'disposeSavepoints' ? d.action.paths : [];
  assert.equal(disposed.length, 1);
  assert.deepEqual(d.status.jobStatus?.savepointInfo?.disposing, disposed);
  const after = h.reconcile();
  assert.equal(after.status.jobStatus?.savepointInfo?.disposing, undefined);
  assert.equal(after.status.jobStatus?.savepointInfo?.history?.length, 2);
});

test('periodic savepoints are taken at the configured interval', () => {
  const config = { ...makeSpec().config, 'kubernetes.operator.periodic.savepoint.interval': '1 min' };
  const h = stableHarness({}, { config });
  h.run(40, 5000);
  const periodic = h.status?.jobStatus?.savepointInfo?.history?.filter((s) => s.triggerType === 'periodic') ?? [];
  assert.ok(periodic.length >= 2, `${periodic.length} periodic savepoints in 200s`);
});

test('a stable job is looked at again when its next periodic savepoint is due, not a whole steady interval later', () => {
  const config = { ...makeSpec().config, 'kubernetes.operator.periodic.savepoint.interval': '20s' };
  const h = stableHarness({}, { config });
  // Follow the requeue times the decisions ask for, as the work queue would.
  const taken: number[] = [];
  for (let pass = 0; pass < 30 && taken.length < 4; pass++) {
    const d = h.reconcile();
    if (d.action.type === 'triggerSavepoint') taken.push(h.world.now);
    assert.ok(d.requeueAfterMs <= 20_000, `requeue after ${d.requeueAfterMs} ms`);
    h.world.tick(d.requeueAfterMs);
  }
  assert.ok(taken.length >= 4, `${taken.length} periodic savepoints`);
  const gaps = taken.slice(1).map((t, i) => t - taken[i]!);
  // Each taken within a progress pass (5 s) of being due, where the steady requeue (60 s) would make it 60 s.
  for (const gap of gaps) assert.ok(gap >= 20_000 && gap <= 25_000, `savepoints ${gaps.join(', ')} ms apart`);
});

test('without periodic savepoints a stable job is looked at once a minute', () => {
  const h = stableHarness({}, {});
  assert.equal(h.reconcile().requeueAfterMs, 60_000);
});

test('periodic savepoints due at every pass do not starve the history cleanup: dropped savepoints leave storage', () => {
  // An interval no longer than a pass: each pass that records a savepoint finds the next one due already.
  const config = {
    ...makeSpec().config,
    'kubernetes.operator.periodic.savepoint.interval': '5s',
    'kubernetes.operator.savepoint.history.max.count': '2',
  };
  const h = stableHarness({}, { config });
  h.run(40, 5000);
  h.reconcile(); // records the savepoint the last tick completed
  const info = h.status?.jobStatus?.savepointInfo;
  const periodic = h.decisions.filter((d) => d.action.type === 'triggerSavepoint').length;
  assert.ok(periodic >= 5, `${periodic} periodic savepoints in 200 s`);
  assert.ok((info?.history?.length ?? 0) <= 3, `history of ${info?.history?.length}`);
  assert.ok((info?.disposing?.length ?? 0) <= 1, `${info?.disposing?.length} savepoints waiting to be deleted`);
  const kept = new Set([...(info?.history ?? []).map((s) => s.path), ...(info?.disposing ?? [])]);
  assert.deepEqual(
    [...h.world.savepoints].filter((p) => !kept.has(p)),
    [],
    'every savepoint the history dropped is deleted from storage',
  );
});

test('decide is pure: it neither mutates its input status nor depends on anything but its arguments', () => {
  const world = new SimulatedWorld();
  const spec = makeSpec();
  const h = new Harness(spec, world);
  h.run(5);
  const status = structuredClone(h.status);
  const observation = world.observe(UID, status);
  const a = decide({ name: NAME, spec, status, observation });
  const b = decide({ name: NAME, spec, status, observation });
  assert.deepEqual(a, b);
  assert.deepEqual(status, h.status);
});
