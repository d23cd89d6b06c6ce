// decide() when the JobManager keeps failing at start (the entry throws while
// the pipeline is built): no job state ever comes from REST, only the pods say
// so. FAILED at once (not after the readiness timeout), rolled back when
// rollback is on, restarted by restartPolicy within its limit, and a fixed spec
// upgrades as from any FAILED job. One that cannot start at all (an image that
// cannot be pulled) fails only once it has waited out the grace period.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Action } from './action.ts';
import type { Observation } from './observation.ts';
import type { StreamDeploymentStatus } from '../resource/stream-deployment-status.ts';
import { SimulatedWorld } from './simulated-world.ts';
import { Harness, makeSpec } from './test-fixtures.ts';
import { jobManagerFailure } from './crash-loop.ts';

const BROKEN = '/opt/brook/jobs/throws.ts';
const LOG_TAIL = 'Error: the pipeline cannot be built';
/** An image no registry has: its JobManager waits in ImagePullBackOff, never restarting. */
const MISSING_IMAGE = 'registry.example/brook:typo';

/** A world whose JobManagers of the BROKEN entry exit 1 at start: one kubelet restart per tick, never ready. */
class CrashingWorld extends SimulatedWorld {
  crashing = new Map<string, number>();
  /** Jobs whose JobManager image cannot be pulled, with the time their pod started waiting. */
  pullFailing = new Map<string, number>();

  override apply(action: Action): void {
    super.apply(action);
    if (action.type === 'deploy' && action.spec.job.entry === BROKEN && !this.crashing.has(action.jobId))
      this.crashing.set(action.jobId, 0);
    if (action.type === 'deploy' && action.spec.image === MISSING_IMAGE && !this.pullFailing.has(action.jobId))
      this.pullFailing.set(action.jobId, this.now);
  }

  override tick(ms: number): void {
    super.tick(ms);
    const jobId = this.jm.jobId;
    if (!this.jm.exists || jobId === undefined) return;
    if (this.pullFailing.has(jobId)) this.jm.ready = false;
    if (!this.crashing.has(jobId)) return;
    this.jm.ready = false;
    this.crashing.set(jobId, this.crashing.get(jobId)! + 1);
  }

  override observe(uid: string, status: StreamDeploymentStatus | undefined): Observation {
    const observation = super.observe(uid, status);
    const jobId = this.jm.jobId;
    const restarts = jobId === undefined ? undefined : this.crashing.get(jobId);
    if (this.jm.exists && restarts !== undefined && restarts > 0) {
      observation.jobManager.failingContainer = {
        pod: 'orders-jobmanager-x',
        container: 'jobmanager',
        jobId: jobId!,
        reason: 'CrashLoopBackOff',
        exitCode: 1,
        restarts,
        message: `${LOG_TAIL} (restart ${restarts})`,
      };
    }
    const waitingSince = jobId === undefined ? undefined : this.pullFailing.get(jobId);
    if (this.jm.exists && jobId !== undefined && waitingSince !== undefined) {
      observation.jobManager.failingContainer = {
        pod: 'orders-jobmanager-y',
        container: 'jobmanager',
        jobId,
        reason: 'ImagePullBackOff',
        restarts: 0,
        message: `Back-off pulling image "${MISSING_IMAGE}"`,
        cannotStart: true,
        waitingSince,
      };
    }
    return observation;
  }
}

/** Read through a function, so TypeScript does not narrow it across reconciles. */
const lifecycle = (h: Harness) => h.status?.lifecycleState;

function stable(config: Record<string, string> = {}, job: Parameters<typeof makeSpec>[1] = {}): Harness {
  const h = new Harness(makeSpec({ config: { ...makeSpec().config, ...config } }, job), new CrashingWorld());
  h.run(8, 5000);
  assert.equal(h.status?.lifecycleState, 'STABLE');
  return h;
}

/** Upgrades to the BROKEN entry and reconciles until the new job is deployed. */
function upgradeToBroken(h: Harness): string {
  h.setSpec(makeSpec({ config: h.spec.config }, { ...h.spec.job, entry: BROKEN }));
  for (let i = 0; i < 10 && h.decisions.at(-1)?.action.type !== 'deploy'; i++) h.run(1, 1000);
  const deploy = h.decisions.at(-1)!.action;
  assert.ok(deploy.type === 'deploy' && deploy.spec.job.entry === BROKEN, 'the broken spec is deployed');
  return deploy.jobId;
}

test('without rollback, a JobManager failing past the restart threshold makes the resource FAILED at once, with the reason, exit code and log tail, one Warning Event and Ready/Degraded conditions', () => {
  const h = stable();
  const brokenJob = upgradeToBroken(h);
  const deployedAt = h.world.now;
  h.run(1); // one restart: below the threshold of 2
  assert.equal(h.status?.lifecycleState, 'DEPLOYED');
  assert.equal(h.status?.error, undefined);
  const failed = h.run(1);
  assert.ok(h.world.now - deployedAt < 60_000, 'well before the readiness timeout');
  assert.equal(failed.status.lifecycleState, 'FAILED');
  assert.equal(failed.status.jobManagerDeploymentStatus, 'ERROR');
  assert.equal(failed.status.jobStatus?.state, 'FAILED');
  assert.equal(failed.status.jobStatus?.jobId, brokenJob);
  assert.equal(failed.status.error?.reason, 'JobManagerCrashLoop');
  const message = failed.status.error?.message ?? '';
  for (const part of [
    'orders-jobmanager-x',
    'CrashLoopBackOff',
    'exit code 1',
    '2 restarts',
    LOG_TAIL,
    'restartPolicy is Never',
  ])
    assert.ok(message.includes(part), `"${part}" in ${message}`);
  const conditions = Object.fromEntries(failed.status.conditions!.map((c) => [c.type, [c.status, c.reason]]));
  assert.deepEqual(conditions.Ready, ['False', 'JobManagerCrashLoop']);
  assert.deepEqual(conditions.Degraded, ['True', 'JobManagerCrashLoop']);
  assert.deepEqual(
    failed.events.map((e) => [e.type, e.reason]),
    [['Warning', 'JobManagerCrashLoop']],
  );
  assert.equal(failed.action.type, 'none');

  // More restarts change neither the cause nor the error, so the Event is not repeated.
  const later = h.run(5);
  assert.equal(later.status.error?.message, message);
  assert.equal(later.status.error?.timestamp, failed.status.error?.timestamp);
  assert.ok(h.decisions.slice(-5).every((d) => d.events.length === 0));
  assert.equal(later.status.lifecycleState, 'FAILED');
});

test('the restart threshold is kubernetes.operator.jobmanager.crash-loop.restarts', () => {
  const h = stable({ 'kubernetes.operator.jobmanager.crash-loop.restarts': '4' });
  upgradeToBroken(h);
  h.run(3);
  assert.equal(h.status?.lifecycleState, 'DEPLOYED', '3 restarts, threshold 4');
  h.run(1);
  assert.equal(h.status?.lifecycleState, 'FAILED');
});

test('with rollback on and a stable spec, a failing JobManager is rolled back at once, not after the readiness timeout', () => {
  const h = stable({
    'kubernetes.operator.deployment.rollback.enabled': 'true',
    'kubernetes.operator.deployment.readiness.timeout': '10 min',
  });
  upgradeToBroken(h);
  const deployedAt = h.world.now;
  for (let i = 0; i < 10 && lifecycle(h) !== 'ROLLING_BACK'; i++) h.run(1);
  assert.equal(h.status?.lifecycleState, 'ROLLING_BACK');
  assert.ok(h.world.now - deployedAt < 60_000, 'well before the readiness timeout');
  const rollback = h.decisions.flatMap((d) => d.events).find((e) => e.reason === 'Rollback');
  assert.match(
    rollback?.message ?? '',
    /the job FAILED before becoming stable: JobManager container jobmanager .*pipeline cannot/,
  );
  for (let i = 0; i < 10 && lifecycle(h) !== 'ROLLED_BACK'; i++) h.run(1);
  const deployed = h.status?.reconciliationStatus?.lastReconciledSpec as { job: { entry: string } };
  assert.equal(h.status?.lifecycleState, 'ROLLED_BACK');
  assert.notEqual(deployed.job.entry, BROKEN, 'the last stable spec runs again');
});

test('restartPolicy FromLatestState redeploys a crash-looping JobManager with backoff, then gives up at the limit', () => {
  const h = stable({ 'kubernetes.operator.job.restart.max-attempts': '2' }, { restartPolicy: 'FromLatestState' });
  upgradeToBroken(h);
  const deploys = () => h.decisions.filter((d) => d.action.type === 'deploy').length;
  const before = deploys();
  for (let i = 0; i < 200 && h.status?.error?.reason !== 'RestartLimitReached'; i++) h.run(1);
  assert.equal(h.status?.error?.reason, 'RestartLimitReached');
  assert.equal(h.status?.lifecycleState, 'FAILED');
  assert.equal(h.status?.jobStatus?.failureRestarts?.attempts, 2);
  assert.equal(deploys() - before, 2, 'two redeployments, no more');
  assert.match(h.status?.error?.message ?? '', new RegExp(LOG_TAIL));
  const waits = h.decisions.filter(
    (d) => d.status.error?.reason === 'JobManagerCrashLoop' && /Restart \d of 2/.test(d.status.error.message),
  );
  assert.ok(waits.length > 0, 'each restart waits its backoff, reported in status');
  const after = deploys();
  h.run(20);
  assert.equal(deploys(), after, 'stays given up');
});

/** Upgrades to MISSING_IMAGE and reconciles until its job is deployed; returns when its pod began to wait. */
function upgradeToMissingImage(h: Harness): number {
  h.setSpec(makeSpec({ image: MISSING_IMAGE, config: h.spec.config }, h.spec.job));
  for (let i = 0; i < 10 && h.decisions.at(-1)?.action.type !== 'deploy'; i++) h.run(1, 1000);
  const deploy = h.decisions.at(-1)!.action;
  assert.ok(deploy.type === 'deploy' && deploy.spec.image === MISSING_IMAGE, 'the missing image is deployed');
  return (h.world as CrashingWorld).pullFailing.get(deploy.jobId)!;
}

test('a JobManager whose image cannot be pulled fails the job once it has waited the grace period (2 min by default), with its own reason, and is rolled back when enabled', () => {
  const h = stable();
  const waitingSince = upgradeToMissingImage(h);
  // Within the grace period a pull that fails may still succeed: nothing is failed, nothing is said.
  while (h.world.now - waitingSince < 115_000) {
    const waiting = h.run(1);
    assert.equal(waiting.status.lifecycleState, 'DEPLOYED', `${h.world.now - waitingSince} ms after the pod waits`);
    assert.equal(waiting.status.error, undefined);
    assert.deepEqual(waiting.events, []);
  }
  for (let i = 0; i < 5 && lifecycle(h) !== 'FAILED'; i++) h.run(1);
  const failed = h.decisions.at(-1)!;
  const waited = h.world.now - 5_000 - waitingSince; // the clock at the decision, before its tick
  assert.ok(waited >= 120_000 && waited < 125_000, `FAILED once 2 min have passed, after ${waited} ms`);
  assert.equal(failed.status.lifecycleState, 'FAILED');
  assert.equal(failed.status.error?.reason, 'JobManagerCannotStart');
  assert.match(failed.status.error?.message ?? '', /cannot start \(ImagePullBackOff\): Back-off pulling image/);
  assert.deepEqual(
    failed.events.map((e) => [e.type, e.reason]),
    [['Warning', 'JobManagerCannotStart']],
  );
  const ready = failed.status.conditions?.find((c) => c.type === 'Ready');
  assert.deepEqual([ready?.status, ready?.reason], ['False', 'JobManagerCannotStart']);

  const withRollback = stable({ 'kubernetes.operator.deployment.rollback.enabled': 'true' });
  upgradeToMissingImage(withRollback);
  for (let i = 0; i < 60 && lifecycle(withRollback) !== 'ROLLED_BACK'; i++) withRollback.run(1);
  assert.equal(withRollback.status?.lifecycleState, 'ROLLED_BACK');
  const rollback = withRollback.decisions.flatMap((d) => d.events).find((e) => e.reason === 'Rollback');
  assert.match(rollback?.message ?? '', /FAILED before becoming stable: .*cannot start \(ImagePullBackOff\)/);
});

test('the grace period is kubernetes.operator.jobmanager.cannot-start.grace-period; 0 fails the job at once', () => {
  const short = stable({ 'kubernetes.operator.jobmanager.cannot-start.grace-period': '20s' });
  const since = upgradeToMissingImage(short);
  for (let i = 0; i < 20 && lifecycle(short) !== 'FAILED'; i++) short.run(1);
  assert.equal(short.status?.error?.reason, 'JobManagerCannotStart');
  const waited = short.world.now - 5_000 - since;
  assert.ok(waited >= 20_000 && waited < 25_000, `FAILED once 20s have passed, after ${waited} ms`);

  const none = stable({ 'kubernetes.operator.jobmanager.cannot-start.grace-period': '0s' });
  upgradeToMissingImage(none);
  const failed = none.run(1);
  assert.equal(failed.status.lifecycleState, 'FAILED', 'at the first look at the waiting pod');
  assert.equal(failed.status.error?.reason, 'JobManagerCannotStart');
});

test('an image pull that succeeds within the grace period never fails the job: it runs and becomes stable', () => {
  const h = stable();
  upgradeToMissingImage(h);
  h.run(12); // a minute of ImagePullBackOff
  assert.equal(h.status?.lifecycleState, 'DEPLOYED');
  (h.world as CrashingWorld).pullFailing.clear(); // the registry answers again
  for (let i = 0; i < 20 && lifecycle(h) !== 'STABLE'; i++) h.run(1);
  assert.equal(h.status?.lifecycleState, 'STABLE');
  assert.equal(h.status?.jobStatus?.state, 'RUNNING');
  assert.ok(
    h.decisions.every((d) => d.status.lifecycleState !== 'FAILED' && d.status.error === undefined),
    'never FAILED, no error on the way',
  );
});

test('a fixed spec after a crash loop upgrades as from any FAILED job and runs', () => {
  const h = stable();
  upgradeToBroken(h);
  h.run(3);
  assert.equal(h.status?.lifecycleState, 'FAILED');
  h.setSpec(makeSpec({ config: h.spec.config }, { entry: '/opt/brook/jobs/fixed.ts' }));
  for (let i = 0; i < 20 && lifecycle(h) !== 'STABLE'; i++) h.run(1);
  assert.equal(h.status?.lifecycleState, 'STABLE');
  assert.equal(h.status?.error, undefined);
  const conditions = h.status?.conditions?.map((c) => [c.type, c.status]);
  assert.deepEqual(conditions, [
    ['Ready', 'True'],
    ['Progressing', 'False'],
    ['Degraded', 'False'],
  ]);
});

test('jobManagerFailure: only a failing container of this job, past the threshold, while the JobManager is not ready and REST does not answer for the job', () => {
  const failing = { pod: 'p', container: 'jobmanager', jobId: 'j', reason: 'Error', exitCode: 1, restarts: 2 };
  const obs = (jobManager: Partial<Observation['jobManager']>, rest?: Observation['rest']): Observation => ({
    now: 0,
    uid: 'u',
    generation: 1,
    deletionRequested: false,
    jobManager: { exists: true, ready: false, failingContainer: failing, ...jobManager },
    taskManagers: { exists: true, desired: 1, ready: 0 },
    ...(rest ? { rest } : {}),
  });
  const cases: [string, Observation, boolean][] = [
    ['failing past the threshold', obs({}), true],
    ['below the threshold', obs({ failingContainer: { ...failing, restarts: 1 } }), false],
    ['a replaced job', obs({ failingContainer: { ...failing, jobId: 'old' } }), false],
    ['no failing container', obs({ failingContainer: undefined }), false],
    ['ready', obs({ ready: true }), false],
    ['no Deployment', obs({ exists: false }), false],
    ['REST answers for the job', obs({}, { job: { id: 'j', state: 'RUNNING', restarts: 0 } }), false],
  ];
  const limits = { maxRestarts: 2, cannotStartGraceMs: 60_000 };
  for (const [name, observation, expected] of cases) {
    assert.equal(jobManagerFailure(observation, 'j', limits) !== undefined, expected, name);
  }
  assert.deepEqual(jobManagerFailure(obs({ failingContainer: { ...failing, message: 'boom' } }), 'j', limits), {
    reason: 'JobManagerCrashLoop',
    cause: 'JobManager container jobmanager of pod p is failing (Error, last exit code 1, 2 restarts): boom',
  });
  // One that cannot start fails without restarts, once it has waited the grace period (observation.now is 0),
  // but only while it is this job's and not ready.
  const stuck = {
    pod: 'p',
    container: 'jobmanager',
    jobId: 'j',
    reason: 'CreateContainerConfigError',
    restarts: 0,
    message: 'secret "api-token" not found',
    cannotStart: true,
    waitingSince: -60_000,
  };
  assert.deepEqual(jobManagerFailure(obs({ failingContainer: stuck }), 'j', limits), {
    reason: 'JobManagerCannotStart',
    cause:
      'JobManager container jobmanager of pod p cannot start (CreateContainerConfigError): secret "api-token" not found',
  });
  const graceCases: [string, { waitingSince: number | undefined }, number, boolean][] = [
    ['waited exactly the grace period', { waitingSince: -60_000 }, 60_000, true],
    ['waited a second less', { waitingSince: -59_000 }, 60_000, false],
    ['just began to wait', { waitingSince: 0 }, 60_000, false],
    ['no grace period', { waitingSince: 0 }, 0, true],
    ['no start time known', { waitingSince: undefined }, 60_000, false],
    ['no start time known, no grace period', { waitingSince: undefined }, 0, true],
  ];
  for (const [name, change, grace, expected] of graceCases) {
    const container = { ...stuck, ...change };
    const failure = jobManagerFailure(obs({ failingContainer: container }), 'j', {
      ...limits,
      cannotStartGraceMs: grace,
    });
    assert.equal(failure !== undefined, expected, name);
  }
  assert.equal(jobManagerFailure(obs({ failingContainer: { ...stuck, jobId: 'old' } }), 'j', limits), undefined);
  assert.equal(jobManagerFailure(obs({ failingContainer: stuck, ready: true }), 'j', limits), undefined);
});
