// Scenarios 2 and 10 of the end-to-end issue, on testenv's kube-apiserver with
// a process kubelet and the chart installed: the running-count job (Kafka in,
// a count per key in keyed state, Kafka out exactly once) with input flowing
// all the time. Changing its args upgrades it through a savepoint: new
// JobManager and TaskManager pods start from that savepoint and every key's
// count carries on where it stopped. Then `kubectl scale` rescales it from 2 to
// 3 TaskManagers through a savepoint, state intact. The output, read
// read_committed, is checked against counts computed from the input.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { kubectl, succeeded } from '../../scripts/testenv/index.ts';
import {
  continuityProblems,
  discontinuities,
  handoverGap,
  longestLatency,
  longestSilence,
  type CountRecord,
} from './count-checks.ts';
import { stableWithCheckpoint, useCountingDeployment } from './counting-deployment.ts';
import type { StreamDeploymentObject } from './brook-install.ts';

// In a describe: Node 20 runs a file's top-level before hooks concurrently, and the fixture's hooks build on each other.
describe('savepoint upgrade and rescale', () => {
  const job = useCountingDeployment('e2e-savepoint');
  const RATE = 100; // input records per second
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

  /** What the scale test needs from the upgrade test: when the scale began, and the job before it. */
  const phases: {
    upgradeAt?: number;
    upgradeStable?: number;
    scaledAt?: number;
    scaledStable?: number;
    scaledFrom?: string;
  } = {};

  const running = (sd: StreamDeploymentObject, jobId?: string) =>
    sd.status?.jobStatus?.state === 'RUNNING' && (jobId === undefined || sd.status.jobStatus.jobId === jobId);

  async function podsOf(component: 'jobmanager' | 'taskmanager'): Promise<string[]> {
    const pods = await job.install.core.listNamespacedPod({
      namespace: job.install.namespace,
      labelSelector: `app.kubernetes.io/instance=${job.name},app.kubernetes.io/component=${component}`,
    });
    return pods.items.filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata!.name!);
  }

  test(
    'scenario 2: a changed arg upgrades through a savepoint: new pods restore it, counts carry on, output exactly once',
    { timeout: 300_000 },
    async () => {
      const applied = Date.now();
      const first = await job.startStable({ label: 'v1', upgradeMode: 'savepoint' }, RATE);
      console.log(`e2e/scenarios/savepoint-upgrade: apply to STABLE ${seconds(Date.now() - applied)}`);
      const firstJob = first.status!.jobStatus!.jobId!;
      const oldPods = [...(await podsOf('jobmanager')), ...(await podsOf('taskmanager'))];
      assert.equal(oldPods.length, 3, `one JobManager and two TaskManagers: ${oldPods.join(', ')}`);

      const upgradeAt = (phases.upgradeAt = Date.now());
      job.patch({ job: { args: job.stream.args('v2') } });
      const upgraded = await job.waitFor(
        (sd) => running(sd) && sd.status?.jobStatus?.jobId !== firstJob,
        'the upgraded job runs',
        180_000,
      );
      const upgradeRunning = Date.now();
      const secondJob = upgraded.status!.jobStatus!.jobId!;
      const savepointInfo = upgraded.status!.jobStatus!.savepointInfo;
      const savepoint = savepointInfo?.lastSavepoint;
      assert.equal(savepoint?.triggerType, 'upgrade');
      assert.equal(savepoint?.jobId, firstJob, 'the savepoint is of the old job');
      assert.deepEqual(
        savepointInfo?.history?.map((h) => [h.triggerType, h.path]),
        [['upgrade', savepoint.path]],
        'one savepoint for the upgrade',
      );
      assert.deepEqual(upgraded.status!.jobStatus!.restoredFrom?.source, 'savepoint');
      assert.equal(upgraded.status!.jobStatus!.restoredFrom?.path, savepoint.path, 'the new job starts from it');
      assert.ok((await job.savepointsInBucket()).includes(savepoint.path), `${savepoint.path} is in the bucket`);

      // New pods, and the new JobManager was told the savepoint and restored it.
      const [jobManager] = await podsOf('jobmanager');
      const newPods = [jobManager!, ...(await podsOf('taskmanager'))];
      assert.deepEqual(
        newPods.filter((p) => oldPods.includes(p)),
        [],
        'no pod of the old job runs the new one',
      );
      const pod = await job.install.pod(jobManager!);
      assert.ok(
        pod.spec?.containers[0]?.args?.includes(`execution.savepoint.path=${savepoint.path}`),
        JSON.stringify(pod.spec?.containers[0]?.args),
      );
      const log = job.install.kubelet.containerLog(job.install.namespace, jobManager!, 'jobmanager');
      assert.match(log, /from savepoint/, log.split('\n').slice(-20).join('\n'));

      await job.waitFor(
        (sd) => stableWithCheckpoint(sd) && sd.status?.jobStatus?.jobId === secondJob,
        'v2 is STABLE with a checkpoint of its own',
        120_000,
      );
      console.log(
        `e2e/scenarios/savepoint-upgrade: upgrade (spec change to new job RUNNING) ${seconds(upgradeRunning - upgradeAt)}`,
      );
      phases.upgradeStable = Date.now();
      // What v2 committed so far already carries every key on; exactly once over all input is checked at the end.
      const sofar = await job.outputSoFar();
      assert.deepEqual(continuityProblems(sofar, 'v1', 'v2').slice(0, 5), [], `${sofar.length} records read so far`);
      phases.scaledFrom = secondJob;
    },
  );

  test(
    'scenario 10: kubectl scale rescales from 2 to 3 TaskManagers through a savepoint, counts carry on, output exactly once',
    { timeout: 300_000 },
    async () => {
      assert.ok(phases.scaledFrom && job.stream.flowing, 'scenario 2 left the v2 job running with input flowing');
      const before = (await job.install.streamDeployment(job.name))!;
      const savepointsBefore = before.status?.jobStatus?.savepointInfo?.history?.length ?? 0;

      phases.scaledAt = Date.now();
      succeeded(
        'kubectl scale',
        kubectl(['scale', `streamdeployment/${job.name}`, '--namespace', job.install.namespace, '--replicas', '3']),
      );
      const scaled = await job.waitFor(
        (sd) => running(sd) && sd.status?.jobStatus?.jobId !== phases.scaledFrom,
        'the rescaled job runs',
        180_000,
      );
      const scaledRunning = Date.now();
      assert.equal((scaled.spec.taskManager as { replicas: number }).replicas, 3, 'the scale subresource set the spec');
      const info = scaled.status!.jobStatus!.savepointInfo!;
      assert.equal(info.history?.length, savepointsBefore + 1, 'one savepoint for the rescale');
      assert.equal(info.lastSavepoint?.jobId, phases.scaledFrom);
      assert.equal(scaled.status!.jobStatus!.restoredFrom?.path, info.lastSavepoint?.path);
      assert.equal((await podsOf('taskmanager')).length, 3, 'three TaskManagers');
      await job.waitFor(
        (sd) => stableWithCheckpoint(sd) && sd.status?.taskManager?.replicas === 3,
        'STABLE at 3 TaskManagers with a checkpoint, the scale subresource reporting 3',
        120_000,
      );
      phases.scaledStable = Date.now();
      console.log(
        `e2e/scenarios/savepoint-upgrade: rescale (kubectl scale to new job RUNNING) ${seconds(scaledRunning - phases.scaledAt)}`,
      );

      const { expected, output } = await job.stopAndReadExactlyOnce();
      const written = (label: string) => output.filter((r) => r.label === label).length;
      assert.ok(
        written('v1') > 0 && written('v2') > 0,
        `both versions wrote output (${written('v1')}, ${written('v2')})`,
      );
      assert.deepEqual(discontinuities(output, 'v1', 'v2'), [], 'every key carries on at its last count + 1');
      printGaps(output, expected.length);
    },
  );

  function printGaps(output: CountRecord[], records: number): void {
    const gap = handoverGap(output, 'v1', 'v2');
    const upgradeLatency = longestLatency(output, phases.upgradeAt!, phases.upgradeStable!);
    const scaleSilence = longestSilence(output, phases.scaledAt!, phases.scaledStable!);
    const scaleLatency = longestLatency(output, phases.scaledAt!, phases.scaledStable!);
    console.log(
      `e2e/scenarios/savepoint-upgrade: ${records} records at ${RATE}/s; savepoint upgrade: output gap ${seconds(gap)}, ` +
        `longest input-to-output latency ${seconds(upgradeLatency)}; rescale 2 to 3: output gap ${seconds(scaleSilence)}, ` +
        `longest latency ${seconds(scaleLatency)}`,
    );
  }
});
