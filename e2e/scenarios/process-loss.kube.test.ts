// Scenario 5 of the end-to-end issue, on testenv's kube-apiserver with a process
// kubelet and the chart installed: the running-count job (Kafka in, keyed state,
// Kafka out exactly once) loses a TaskManager process to SIGKILL, and the
// runtime's restart strategy recovers it; then its JobManager Deployment is
// deleted, and the operator recreates it with the same job id, which resumes
// from its latest checkpoint. Through both, the output holds every count
// exactly once, as computed from the input alone. Last, deleting the resource
// with savepoint-on-deletion set stops the job with a savepoint.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { kubectl, succeeded } from '../../scripts/testenv/index.ts';
import { eventually } from '../cluster/testing.ts';
import { CountingStream } from './counting-stream.ts';
import { countDeployment, inputRate, isStable, seconds, since, useFailureScenario } from './failures-fixture.ts';
import {
  applyStreamDeployment,
  eventsOf,
  patchSpec,
  podsOf,
  savepointsInStorage,
  savepointsPrefix,
  waitForChildrenGone,
} from './stream-deployment.ts';

// In a suite: Node 20 runs top-level before hooks as they are registered, without waiting for the
// previous one, so the install's hooks (namespace, then chart) would race; a suite's hooks run in order.
describe('scenario 5: process loss', () => {
  const scenario = useFailureScenario('e2e-loss', 'process-loss');
  const { install, timings } = scenario;
  const NAME = 'counts';

  test(
    'scenario 5: a TaskManager killed with SIGKILL is recovered by the restart strategy, a deleted JobManager Deployment is recreated by the operator from the latest checkpoint, and the output stays exactly-once',
    { timeout: 420_000 },
    async () => {
      const { namespace, kubelet, apps } = install;
      const stream = await CountingStream.create(scenario.kafka, 'e2e-loss', 30_000, 20261205);
      let jobManagerPod = '';
      const logs = () => {
        const jobManagers = kubelet.containerLog(namespace, jobManagerPod, 'jobmanager').split('\n').slice(-30);
        return `--- jobmanager ${jobManagerPod}\n${jobManagers.join('\n')}\n${install.diagnostics()}`;
      };

      const applied = Date.now();
      applyStreamDeployment(
        install,
        countDeployment({ name: NAME, stream, bucket: scenario.bucket.name, taskManagers: 2 }),
      );
      stream.start(inputRate);
      const stable = await install.waitForStreamDeployment(NAME, isStable, 'the job is STABLE', 240_000);
      timings.push(`apply to STABLE ${since(applied)}`);
      const jobId = stable.status!.jobStatus!.jobId!;
      const restartsBefore = stable.status!.jobStatus!.restarts ?? 0;
      jobManagerPod = (await podsOf(install, NAME, 'jobmanager'))[0]!.metadata!.name!;

      // 1. A TaskManager process dies; the JobManager's restart strategy restarts the job from its latest checkpoint.
      const [victim] = await podsOf(install, NAME, 'taskmanager');
      const killed = Date.now();
      await kubelet.killContainer(namespace, victim!.metadata!.name!, { container: 'taskmanager', signal: 'SIGKILL' });
      const recovered = await install.waitForStreamDeployment(
        NAME,
        (sd) =>
          (sd.status?.jobStatus?.restarts ?? 0) > restartsBefore &&
          sd.status?.jobStatus?.state === 'RUNNING' &&
          sd.status.lifecycleState === 'STABLE',
        'the job restarted by its restart strategy and is STABLE again',
        180_000,
      );
      timings.push(
        `TaskManager kill to STABLE again ${since(killed)} (output gap ${seconds(stream.outputGap(killed, Date.now()))})`,
      );
      assert.equal(recovered.status?.jobStatus?.jobId, jobId, 'the runtime recovered the job itself: same job');
      const killedPod = await install.pod(victim!.metadata!.name!);
      const lastState = killedPod.status?.containerStatuses?.[0]?.lastState?.terminated;
      assert.equal(lastState?.exitCode, 137, 'the TaskManager was killed by SIGKILL');
      assert.match(
        kubelet.containerLog(namespace, jobManagerPod, 'jobmanager'),
        /deploying attempt 2/,
        'the JobManager deployed a second attempt',
      );

      // 2. The JobManager Deployment goes; the operator recreates it under the same job id, which resumes from its checkpoint.
      const checkpointBefore = recovered.status.jobStatus.checkpointInfo?.lastCheckpoint?.id ?? 0;
      const deleted = Date.now();
      await apps.deleteNamespacedDeployment({ namespace, name: `${NAME}-jobmanager` });
      // Waited for by its pod, which stays once there (a status read could miss a short MISSING).
      const replaced = await eventually(
        () => podsOf(install, NAME, 'jobmanager'),
        (pods) => pods.some((p) => p.metadata?.name !== jobManagerPod && p.metadata?.deletionTimestamp === undefined),
        'a JobManager pod of a recreated Deployment',
        120_000,
      );
      const newJobManager = replaced.find(
        (p) => p.metadata?.name !== jobManagerPod && p.metadata?.deletionTimestamp === undefined,
      )!;
      const back = await install.waitForStreamDeployment(
        NAME,
        (sd) =>
          isStable(sd) &&
          sd.status?.jobManagerDeploymentStatus === 'READY' &&
          (sd.status.jobStatus?.checkpointInfo?.lastCheckpoint?.id ?? 0) > checkpointBefore,
        'the recreated JobManager runs the job, STABLE, with a new checkpoint',
        240_000,
      );
      timings.push(
        `JobManager Deployment deleted to STABLE again ${since(deleted)} (output gap ${seconds(stream.outputGap(deleted, Date.now()))})`,
      );
      assert.equal(back.status?.jobStatus?.jobId, jobId, 'the recreated JobManager runs the same job id');
      jobManagerPod = newJobManager.metadata!.name!;
      assert.match(
        kubelet.containerLog(namespace, jobManagerPod, 'jobmanager'),
        new RegExp(`resuming job ${jobId} from checkpoint`),
        'the new JobManager resumed the job from its latest checkpoint',
      );
      const events = await eventsOf(install, NAME);
      assert.ok(
        events.some((e) => e.startsWith('RecoverDeployment:') && e.includes(jobId)),
        `an Event says the JobManager Deployment was recreated:\n${events.join('\n')}`,
      );

      // 3. Every count once, continuing across both failures (a reset count would repeat "k:1").
      await stream.finish();
      const records = await stream.verify(logs);
      timings.push(`${records} counts exactly once`);
    },
  );

  // Scenario 9's other branch (install.kube.test.ts covers the cancel): with savepoint-on-deletion set.
  test(
    'scenario 9 with kubernetes.operator.job.savepoint-on-deletion: deleting the resource stops the job with one savepoint before the finalizer goes, then every child is gone',
    { timeout: 240_000 },
    async () => {
      const { namespace } = install;
      const bucket = scenario.bucket.name;
      const running = await install.waitForStreamDeployment(NAME, isStable, 'the job left by scenario 5 is STABLE');
      const jobId = running.status!.jobStatus!.jobId!;
      patchSpec(install, NAME, { config: { 'kubernetes.operator.job.savepoint-on-deletion': 'true' } });
      await install.waitForStreamDeployment(
        NAME,
        (sd) => isStable(sd) && sd.status?.jobStatus?.jobId === jobId,
        'the operator saw the setting (no restart: it is an operator setting)',
      );
      const storedBefore = await savepointsInStorage(bucket, savepointsPrefix(NAME));

      const deleting = Date.now();
      succeeded(
        'kubectl delete',
        kubectl(['delete', 'streamdeployment', NAME, '--namespace', namespace, '--wait=true', '--timeout=150s']),
      );
      timings.push(`delete with savepoint to resource gone ${since(deleting)}`);
      assert.equal(await install.streamDeployment(NAME), undefined);
      const added = (await savepointsInStorage(bucket, savepointsPrefix(NAME))).filter(
        (p) => !storedBefore.includes(p),
      );
      assert.equal(added.length, 1, `one savepoint taken on deletion: ${JSON.stringify(added)}`);
      // The operator writes Events after its action; the last ones may land after the resource is gone.
      const stoppedWithSavepoint = (events: string[]) =>
        events.includes('Deleting: stopping the job with a savepoint before deletion') &&
        events.some((e) => e.startsWith('SavepointCompleted:') && e.includes(`${bucket}/${added[0]}`));
      const events = await eventually(
        () => eventsOf(install, NAME),
        stoppedWithSavepoint,
        'the Events say the job was stopped with that savepoint',
        30_000,
      ).catch(async () => eventsOf(install, NAME));
      assert.ok(
        stoppedWithSavepoint(events),
        `Events say the job was stopped with that savepoint:\n${events.join('\n')}`,
      );

      await waitForChildrenGone(install, NAME);
      timings.push(`delete to children gone ${since(deleting)}`);
    },
  );
});
