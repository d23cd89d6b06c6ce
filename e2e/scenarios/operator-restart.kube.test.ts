// Scenario 7 of the end-to-end issue, on testenv's kube-apiserver with a process
// kubelet and the chart installed: three savepoint upgrades of the running-count
// job, and in each the operator pod's container is killed with SIGKILL the
// moment status shows one step done: the savepoint taken, the old cluster's
// deletion sent, the new deployment recorded. The kubelet restarts it; the
// restarted operator reads its record in status and completes the upgrade with
// exactly one savepoint (counted in S3, in status and as StreamSnapshots), the
// new job restored from it, and the output still holds every count exactly once.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiException } from '@kubernetes/client-node';
import { isReady } from '../cluster/testing.ts';
import type { BrookInstall, StreamDeploymentObject } from './brook-install.ts';
import { CountingStream } from './counting-stream.ts';
import {
  countDeployment,
  inputRate,
  isStable,
  pollStreamDeployment,
  seconds,
  since,
  useFailureScenario,
} from './failures-fixture.ts';
import {
  applyStreamDeployment,
  patchSpec,
  savepointsInStorage,
  savepointsPrefix,
  streamSnapshots,
} from './stream-deployment.ts';

const NAME = 'counts';

interface Step {
  name: string;
  /** Whether the status (and the cluster) show the step done. */
  reached(install: BrookInstall, sd: StreamDeploymentObject, fromJobId: string): Promise<boolean>;
}

const operation = (sd: StreamDeploymentObject) => sd.status?.reconciliationStatus?.operation;

const steps: Step[] = [
  {
    name: 'after the savepoint',
    reached: async (_install, sd) =>
      operation(sd)?.phase === 'TEARING_DOWN' && operation(sd)?.savepoint?.path !== undefined,
  },
  {
    name: 'after the delete',
    reached: async (install, sd) => {
      if (operation(sd)?.phase !== 'TEARING_DOWN') return false;
      try {
        const jm = await install.apps.readNamespacedDeployment({
          namespace: install.namespace,
          name: `${NAME}-jobmanager`,
        });
        return jm.metadata?.deletionTimestamp !== undefined;
      } catch (error) {
        if (error instanceof ApiException && error.code === 404) return true;
        throw error;
      }
    },
  },
  {
    name: 'after the create',
    reached: async (_install, sd, fromJobId) =>
      operation(sd) === undefined &&
      sd.status?.jobStatus?.jobId !== undefined &&
      sd.status.jobStatus.jobId !== fromJobId,
  },
];

// In a suite: Node 20 runs top-level before hooks as they are registered, without waiting for the
// previous one, so the install's hooks (namespace, then chart) would race; a suite's hooks run in order.
describe('scenario 7: the operator killed during savepoint upgrades', () => {
  const scenario = useFailureScenario('e2e-opkill', 'operator-restart');
  const { install, timings } = scenario;

  /** The StreamSnapshots recording upgrade savepoints of the resource, by the path their status names. */
  async function upgradeSnapshots(): Promise<string[]> {
    return (await streamSnapshots(install))
      .filter((s) => s.spec.deploymentName === NAME && s.spec.triggerType === 'upgrade')
      .map((s) => `${s.status?.state} ${s.status?.path}`);
  }

  async function operatorContainer() {
    const pod = await install.pod(install.operatorPod);
    return { pod, restarts: pod.status?.containerStatuses?.[0]?.restartCount ?? 0 };
  }

  test(
    'killed with SIGKILL after the savepoint, after the delete and after the create of three savepoint upgrades, the restarted operator completes each with exactly one savepoint, restored by the new job, and the output stays exactly-once',
    { timeout: 600_000 },
    async () => {
      const { namespace, kubelet } = install;
      const bucket = scenario.bucket.name;
      const stream = await CountingStream.create(scenario.kafka, 'e2e-opkill', 40_000, 20261207);
      const applied = Date.now();
      applyStreamDeployment(
        install,
        countDeployment({ name: NAME, stream, bucket, taskManagers: 1, job: { args: stream.args('v0') } }),
      );
      stream.start(inputRate);
      await install.waitForStreamDeployment(NAME, isStable, 'the job is STABLE', 240_000);
      timings.push(`apply to STABLE ${since(applied)}`);

      for (const [i, step] of steps.entries()) {
        const current = (await install.streamDeployment(NAME))!;
        const fromJobId = current.status!.jobStatus!.jobId!;
        const storedBefore = await savepointsInStorage(bucket, savepointsPrefix(NAME));
        const { restarts } = await operatorContainer();

        const upgraded = Date.now();
        patchSpec(install, NAME, { job: { args: stream.args(`v${i + 1}`) } });
        const seen = await pollStreamDeployment(
          install,
          NAME,
          (sd) => step.reached(install, sd, fromJobId),
          `status shows the upgrade ${step.name}`,
          180_000,
        );
        await kubelet.killContainer(namespace, install.operatorPod, { container: 'operator', signal: 'SIGKILL' });
        const killedAt = Date.now();
        const phase = operation(seen)?.phase ?? `no operation, job ${seen.status?.jobStatus?.jobId}`;

        await install.waitForPod(
          install.operatorPod,
          (pod) => (pod.status?.containerStatuses?.[0]?.restartCount ?? 0) > restarts && isReady(pod),
          'the operator container restarted and is ready',
          120_000,
        );
        const operatorBack = since(killedAt);
        const done = await install.waitForStreamDeployment(
          NAME,
          (sd) => isStable(sd) && sd.status?.jobStatus?.jobId !== fromJobId,
          `the upgrade killed ${step.name} completes: a new job, STABLE`,
          240_000,
        );
        timings.push(
          `upgrade ${i + 1} (killed ${step.name}, status ${phase}): operator back ${operatorBack}, ` +
            `upgrade done ${since(upgraded)}, output gap ${seconds(stream.outputGap(upgraded, Date.now()))}`,
        );

        // Exactly one savepoint of the old job: one new in storage, one in status, and the new job restored it.
        const storedAfter = await savepointsInStorage(bucket, savepointsPrefix(NAME));
        const added = storedAfter.filter((p) => !storedBefore.includes(p));
        assert.equal(added.length, 1, `one savepoint added to storage by upgrade ${i + 1}: ${JSON.stringify(added)}`);
        const ofOldJob = (done.status?.jobStatus?.savepointInfo?.history ?? []).filter((h) => h.jobId === fromJobId);
        assert.equal(ofOldJob.length, 1, `one savepoint of job ${fromJobId} in status: ${JSON.stringify(ofOldJob)}`);
        assert.equal(ofOldJob[0]!.triggerType, 'upgrade');
        assert.equal(ofOldJob[0]!.path, `s3://${bucket}/${added[0]}`, 'status records the savepoint in storage');
        assert.deepEqual(
          done.status?.jobStatus?.restoredFrom && {
            path: done.status.jobStatus.restoredFrom.path,
            source: done.status.jobStatus.restoredFrom.source,
          },
          { path: ofOldJob[0]!.path, source: 'savepoint' },
          'the new job was started from that savepoint',
        );
        assert.deepEqual(
          (done.status?.reconciliationStatus?.lastReconciledSpec as { job?: { args?: string[] } }).job?.args,
          stream.args(`v${i + 1}`),
          'the new spec is deployed',
        );
      }

      const snapshots = await upgradeSnapshots();
      const history = (await install.streamDeployment(NAME))!.status?.jobStatus?.savepointInfo?.history ?? [];
      assert.deepEqual(
        snapshots.sort(),
        history
          .filter((h) => h.triggerType === 'upgrade')
          .map((h) => `COMPLETED ${h.path}`)
          .sort(),
        'one StreamSnapshot per upgrade savepoint',
      );
      assert.equal(snapshots.length, steps.length);

      await stream.finish();
      const records = await stream.verify(() => install.diagnostics());
      timings.push(`${records} counts exactly once`);
    },
  );
});
