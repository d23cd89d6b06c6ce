// Scenario 6 of the end-to-end issue, on testenv's kube-apiserver with a process
// kubelet and the chart installed: the running-count job is upgraded (savepoint
// mode) to a version whose count operator throws as it starts. With rollback
// enabled the resource goes ROLLING_BACK then ROLLED_BACK and runs the last
// stable spec from the upgrade's savepoint; without it, it ends FAILED with the
// error in status and in an Event, and a fixed spec deployed after that resumes
// from the state the broken version was given. Then an entry that throws while
// the pipeline is built (the JobManager exits at start and its pod crash-loops)
// is rolled back as soon as the operator sees the crash loop in the pod, well
// before the readiness timeout; the output holds every count exactly once
// throughout, as computed from the input alone. Last, the same entry with
// rollback off ends FAILED with the entry's error in status and an Event, long
// before the Deployment's 600 s progress deadline; and a JobManager pod that
// names a missing Secret, which never starts at all, ends FAILED as quickly
// once the (here shortened) cannot-start grace period has passed.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { brokenVersionMessage } from './jobs/failures-broken-count.ts';
import { throwingEntryMessage } from './jobs/failures-throwing-entry.ts';
import type { StreamDeploymentObject } from './brook-install.ts';
import { CountingStream } from './counting-stream.ts';
import {
  brokenCountJobEntry,
  countDeployment,
  countJobEntry,
  inputRate,
  isStable,
  recordLifecycle,
  seconds,
  since,
  useFailureScenario,
} from './failures-fixture.ts';
import { applyStreamDeployment, eventsOf, patchSpec } from './stream-deployment.ts';

const NAME = 'counts';
const rollbackKey = 'kubernetes.operator.deployment.rollback.enabled';
const cannotStartGraceKey = 'kubernetes.operator.jobmanager.cannot-start.grace-period';
const throwingEntry = '/opt/brook/e2e/scenarios/jobs/failures-throwing-entry.ts';

const deployedSpec = (sd: StreamDeploymentObject) =>
  sd.status?.reconciliationStatus?.lastReconciledSpec as { job: { entry: string; args: string[] } } | undefined;

/** The savepoint the upgrade took of job `jobId`, checked to be recorded and to be what the new job was given. */
function restoredUpgradeSavepoint(sd: StreamDeploymentObject, jobId: string, message?: string) {
  const [savepoint] = (sd.status?.jobStatus?.savepointInfo?.history ?? []).filter(
    (h) => h.jobId === jobId && h.triggerType === 'upgrade',
  );
  assert.ok(savepoint, `the upgrade's savepoint of job ${jobId} is recorded`);
  assert.equal(sd.status?.jobStatus?.restoredFrom?.path, savepoint.path, message);
  return savepoint;
}

// In a suite: Node 20 runs top-level before hooks as they are registered, without waiting for the
// previous one, so the install's hooks (namespace, then chart) would race; a suite's hooks run in order.
describe('scenario 6: a broken upgrade', () => {
  const scenario = useFailureScenario('e2e-broken', 'broken-upgrade');
  const { install, timings } = scenario;
  let stream: CountingStream;
  /** The job that runs now, before the test changes the spec. */
  const runningJobId = async () => (await install.streamDeployment(NAME))!.status!.jobStatus!.jobId!;

  before(async () => {
    stream = await CountingStream.create(scenario.kafka, 'e2e-broken', 40_000, 20261206);
  });

  test(
    'with rollback enabled, a version that throws at start goes ROLLING_BACK then ROLLED_BACK, running the last stable spec from the upgrade savepoint',
    { timeout: 420_000 },
    async () => {
      const applied = Date.now();
      applyStreamDeployment(
        install,
        countDeployment({
          name: NAME,
          stream,
          bucket: scenario.bucket.name,
          taskManagers: 1,
          // The job's failure triggers the rollback, not the readiness timeout (kept longer than any wait here).
          config: { [rollbackKey]: 'true', 'kubernetes.operator.deployment.readiness.timeout': '10 min' },
        }),
      );
      stream.start(inputRate);
      const stable = await install.waitForStreamDeployment(NAME, isStable, 'the job is STABLE', 240_000);
      timings.push(`apply to STABLE ${since(applied)}`);
      const stableJobId = stable.status!.jobStatus!.jobId!;

      const lifecycle = recordLifecycle(install, NAME);
      const upgraded = Date.now();
      patchSpec(install, NAME, { job: { entry: brokenCountJobEntry } });
      const rolledBack = await install.waitForStreamDeployment(
        NAME,
        (sd) =>
          sd.status?.lifecycleState === 'ROLLED_BACK' &&
          sd.status.jobStatus?.state === 'RUNNING' &&
          sd.status.jobStatus.restoredFrom?.source === 'savepoint',
        'the resource is ROLLED_BACK and its job RUNNING',
        300_000,
      );
      timings.push(
        `broken upgrade to ROLLED_BACK and running ${since(upgraded)} (output gap ${seconds(stream.outputGap(upgraded, Date.now()))})`,
      );
      const seen = await lifecycle.stop();
      const rolling = seen.indexOf('ROLLING_BACK');
      assert.ok(
        rolling >= 0 && seen.indexOf('ROLLED_BACK') > rolling,
        `ROLLING_BACK, then ROLLED_BACK: ${seen.join(' → ')}`,
      );

      // The last stable spec runs, restored from the savepoint the upgrade took of the stable job.
      restoredUpgradeSavepoint(rolledBack, stableJobId);
      assert.equal(deployedSpec(rolledBack)?.job.entry, countJobEntry, 'the last stable spec is deployed');
      assert.equal((rolledBack.spec.job as { entry: string }).entry, brokenCountJobEntry, 'the spec is left as is');
      assert.notEqual(rolledBack.status?.jobStatus?.jobId, stableJobId, 'a new job');
      const events = await eventsOf(install, NAME);
      assert.ok(
        events.some((e) => /^Rollback: rolling back generation \d+: the job FAILED before becoming stable/.test(e)),
        `an Event says why it rolled back:\n${events.join('\n')}`,
      );
    },
  );

  test(
    'without rollback, the version that throws at start ends FAILED with its error in status and in an Event; a fixed spec then resumes from the state the broken version was given',
    { timeout: 420_000 },
    async () => {
      const fromJobId = await runningJobId();
      const upgraded = Date.now();
      // A different broken spec (the refused one is not tried again), and rollback off.
      patchSpec(install, NAME, {
        config: { [rollbackKey]: 'false' },
        job: { entry: brokenCountJobEntry, args: stream.args('v2') },
      });
      const failed = await install.waitForStreamDeployment(
        NAME,
        (sd) => sd.status?.lifecycleState === 'FAILED',
        'the resource is FAILED',
        300_000,
      );
      timings.push(`broken upgrade without rollback to FAILED ${since(upgraded)}`);
      assert.equal(failed.status?.jobStatus?.state, 'FAILED');
      assert.equal(failed.status?.error?.reason, 'JobFailed');
      assert.ok(
        failed.status?.error?.message.includes(brokenVersionMessage),
        `status.error carries the job's error: ${failed.status?.error?.message}`,
      );
      const ready = failed.status?.conditions?.find((c) => c.type === 'Ready');
      assert.equal(ready?.status, 'False');
      const events = await eventsOf(install, NAME);
      assert.ok(
        events.some((e) => e.startsWith('JobFailed:') && e.includes(brokenVersionMessage)),
        `an Event carries the job's error:\n${events.join('\n')}`,
      );
      const savepoint = restoredUpgradeSavepoint(failed, fromJobId, 'the broken version was given it');

      // Fixed: the failed job can give no savepoint, so the new one starts from the state the failed one started from.
      const fixed = Date.now();
      patchSpec(install, NAME, { job: { entry: countJobEntry, args: stream.args('v3') } });
      const running = await install.waitForStreamDeployment(
        NAME,
        (sd) => isStable(sd) && deployedSpec(sd)?.job.entry === countJobEntry,
        'the fixed spec is STABLE',
        300_000,
      );
      timings.push(
        `fixed spec to STABLE ${since(fixed)} (output gap from the broken upgrade on ${seconds(stream.outputGap(upgraded, Date.now()))})`,
      );
      assert.equal(running.status?.jobStatus?.restoredFrom?.path, savepoint.path);
    },
  );

  test(
    'with rollback enabled, an entry that throws while the JobManager builds the pipeline is rolled back as soon as its JobManager crash-loops, not after the readiness timeout',
    { timeout: 420_000 },
    async () => {
      const fromJobId = await runningJobId();
      const upgraded = Date.now();
      // No job ever reports a state here (the JobManager exits at start): the pod's crash loop tells, not the
      // readiness timeout (kept longer than any wait here).
      patchSpec(install, NAME, {
        config: { [rollbackKey]: 'true', 'kubernetes.operator.deployment.readiness.timeout': '10 min' },
        job: { entry: throwingEntry },
      });
      const rolledBack = await install.waitForStreamDeployment(
        NAME,
        (sd) =>
          sd.status?.lifecycleState === 'ROLLED_BACK' &&
          sd.status.jobStatus?.state === 'RUNNING' &&
          deployedSpec(sd)?.job.entry === countJobEntry,
        'the resource is ROLLED_BACK and its job RUNNING',
        300_000,
      );
      timings.push(
        `throwing entry to ROLLED_BACK and running ${since(upgraded)} (output gap ${seconds(stream.outputGap(upgraded, Date.now()))})`,
      );
      restoredUpgradeSavepoint(rolledBack, fromJobId);
      const events = await eventsOf(install, NAME);
      assert.ok(
        events.some((e) =>
          /^Rollback: rolling back generation \d+: the job FAILED before becoming stable: JobManager container jobmanager of pod /.test(
            e,
          ),
        ),
        `an Event says why it rolled back:\n${events.join('\n')}`,
      );
      // The logs of pods already gone stay in the kubelet's log directory: the broken JobManager exited with the error.
      const podsDir = join(install.logDir, 'pods', install.namespace);
      const crashed = readdirSync(podsDir).filter((pod) =>
        install.kubelet.containerLog(install.namespace, pod, 'jobmanager').includes(throwingEntryMessage),
      );
      assert.ok(crashed.length > 0, `a JobManager log under ${podsDir} shows the entry's error`);

      await stream.finish();
      const records = await stream.verify(() => install.diagnostics());
      timings.push(`${records} counts exactly once`);
    },
  );

  test(
    'without rollback, an entry that throws while the JobManager builds the pipeline ends FAILED with its error in status and a Warning Event, well before the progress deadline',
    { timeout: 300_000 },
    async () => {
      const upgraded = Date.now();
      // The rolled-back spec with rollback off and other args: the refused spec is not tried again, and operator
      // settings alone do not make another spec.
      patchSpec(install, NAME, {
        config: { [rollbackKey]: 'false' },
        job: { entry: throwingEntry, args: ['rollback-off'] },
      });
      const failed = await install.waitForStreamDeployment(
        NAME,
        (sd) => sd.status?.lifecycleState === 'FAILED' && deployedSpec(sd)?.job.entry === throwingEntry,
        'the resource is FAILED',
        180_000,
      );
      timings.push(`throwing entry without rollback to FAILED ${since(upgraded)}`);
      assert.equal(failed.status?.jobStatus?.state, 'FAILED');
      assert.equal(failed.status?.jobManagerDeploymentStatus, 'ERROR');
      assert.equal(failed.status?.error?.reason, 'JobManagerCrashLoop');
      assert.ok(
        failed.status?.error?.message.includes(throwingEntryMessage),
        `status.error carries the entry's error: ${failed.status?.error?.message}`,
      );
      const ready = failed.status?.conditions?.find((c) => c.type === 'Ready');
      assert.deepEqual([ready?.status, ready?.reason], ['False', 'JobManagerCrashLoop']);
      const degraded = failed.status?.conditions?.find((c) => c.type === 'Degraded');
      assert.deepEqual([degraded?.status, degraded?.reason], ['True', 'JobManagerCrashLoop']);
      const events = await install.core.listNamespacedEvent({
        namespace: install.namespace,
        fieldSelector: `involvedObject.kind=StreamDeployment,involvedObject.name=${NAME},reason=JobManagerCrashLoop`,
      });
      assert.ok(
        events.items.some((e) => e.type === 'Warning' && e.message?.includes('JobManager container')),
        `a Warning Event JobManagerCrashLoop: ${JSON.stringify(events.items.map((e) => [e.type, e.message]))}`,
      );
    },
  );

  test(
    'a JobManager whose pod names a Secret that does not exist cannot start: FAILED once the grace period has passed, with JobManagerCannotStart and the kubelet reason',
    { timeout: 240_000 },
    async () => {
      const upgraded = Date.now();
      // The container is never run, so it never restarts: no crash-loop count would ever be reached. The
      // grace period (2 min by default, for Secrets that come a moment late) is shortened to keep this quick.
      patchSpec(install, NAME, {
        config: { [cannotStartGraceKey]: '5s' },
        job: { entry: countJobEntry, args: stream.args('missing-secret') },
        jobManager: {
          podTemplate: {
            spec: {
              containers: [
                {
                  name: 'jobmanager',
                  env: [{ name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'absent-token', key: 'token' } } }],
                },
              ],
            },
          },
        },
      });
      const failed = await install.waitForStreamDeployment(
        NAME,
        (sd) =>
          sd.status?.lifecycleState === 'FAILED' && deployedSpec(sd)?.job.args.includes('missing-secret') === true,
        'the resource is FAILED',
        180_000,
      );
      timings.push(`JobManager that cannot start to FAILED ${since(upgraded)}`);
      assert.equal(failed.status?.jobManagerDeploymentStatus, 'ERROR');
      assert.equal(failed.status?.error?.reason, 'JobManagerCannotStart');
      assert.match(
        failed.status?.error?.message ?? '',
        /JobManager container jobmanager of pod \S+ cannot start \(CreateContainerConfigError\): .*absent-token/,
      );
      const ready = failed.status?.conditions?.find((c) => c.type === 'Ready');
      assert.deepEqual([ready?.status, ready?.reason], ['False', 'JobManagerCannotStart']);
      const events = await eventsOf(install, NAME);
      assert.ok(
        events.some((e) => e.startsWith('JobManagerCannotStart:') && e.includes('absent-token')),
        `an Event says why:\n${events.join('\n')}`,
      );
    },
  );
});
