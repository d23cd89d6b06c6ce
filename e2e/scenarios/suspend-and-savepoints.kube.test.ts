// Scenario 4 of the end-to-end issue, on testenv's kube-apiserver with a
// process kubelet and the chart installed: the running-count job (Kafka in, a
// count per key in keyed state, Kafka out exactly once) in savepoint mode with
// input flowing. A new savepointTriggerNonce takes a savepoint of the running
// job (status and a StreamSnapshot record it); job.state suspended stops it with
// a savepoint and removes its pods; running resumes it from that savepoint with
// every key's count carrying on. Periodic savepoints then come every few
// seconds, and the history is cut to its maximum: the savepoints it drops are
// deleted from the S3 bucket, as listing the bucket shows.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { continuityProblems, discontinuities, handoverGap } from './count-checks.ts';
import { stableWithCheckpoint, useCountingDeployment } from './counting-deployment.ts';
import { eventually } from '../cluster/testing.ts';

const RATE = 100; // input records per second
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const log = (line: string) => console.log(`e2e/scenarios/suspend-and-savepoints: ${line}`);

// In a describe: Node 20 runs a file's top-level before hooks concurrently, and the fixture's hooks build on each other.
describe('suspend, resume, manual and periodic savepoints', () => {
  const job = useCountingDeployment('e2e-suspend');
  const seen: { jobId?: string; manual?: string; suspend?: string; suspendedFor?: number } = {};

  async function podsLeft(): Promise<string[]> {
    const pods = await job.install.core.listNamespacedPod({
      namespace: job.install.namespace,
      labelSelector: `app.kubernetes.io/instance=${job.name}`,
    });
    return pods.items.map((p) => p.metadata!.name!);
  }

  test(
    'scenario 4a: a new savepointTriggerNonce takes a savepoint of the running job, recorded in status and as a StreamSnapshot',
    { timeout: 300_000 },
    async () => {
      const applied = Date.now();
      const stable = await job.startStable({ label: 'v1', upgradeMode: 'savepoint' }, RATE);
      log(`apply to STABLE ${seconds(Date.now() - applied)}`);
      const jobId = stable.status!.jobStatus!.jobId!;

      const triggered = Date.now();
      job.patch({ job: { savepointTriggerNonce: 1 } });
      const done = await job.waitFor(
        (sd) =>
          sd.status?.jobStatus?.savepointInfo?.lastSavepoint?.triggerType === 'manual' &&
          sd.status.jobStatus.savepointInfo.pendingTrigger === undefined,
        'the manual savepoint is recorded',
        120_000,
      );
      log(`manual savepoint (nonce to recorded) ${seconds(Date.now() - triggered)}`);
      const info = done.status!.jobStatus!.savepointInfo!;
      const manual = info.lastSavepoint!;
      assert.equal(manual.jobId, jobId);
      assert.equal(info.lastTriggerNonce, 1);
      assert.deepEqual(
        info.history?.map((h) => [h.triggerType, h.path]),
        [['manual', manual.path]],
      );
      assert.ok((await job.savepointsInBucket()).includes(manual.path), `${manual.path} is in the bucket`);
      // The operator writes StreamSnapshots after the deployment's status, so the record may lag it a moment.
      const snapshot = (
        await eventually(
          () => job.streamSnapshots(),
          (snapshots) =>
            snapshots.some(
              (s) => s.metadata.name === manual.snapshotName && ['COMPLETED', 'FAILED'].includes(s.status?.state ?? ''),
            ),
          `StreamSnapshot ${manual.snapshotName} has an outcome`,
          30_000,
        )
      ).find((s) => s.metadata.name === manual.snapshotName);
      assert.deepEqual(
        [snapshot?.spec.deploymentName, snapshot?.spec.triggerType, snapshot?.status?.state, snapshot?.status?.path],
        [job.name, 'manual', 'COMPLETED', manual.path],
        `StreamSnapshot ${manual.snapshotName}`,
      );
      // A savepoint, not a stop: the same job runs on.
      const after = (await job.install.streamDeployment(job.name))!;
      assert.equal(after.status?.jobStatus?.jobId, jobId);
      assert.equal(after.status?.jobStatus?.state, 'RUNNING');
      Object.assign(seen, { jobId, manual: manual.path });
    },
  );

  test(
    'scenario 4b: suspended stops the job with a savepoint and removes its pods; running resumes from it, counts carry on',
    { timeout: 300_000 },
    async () => {
      assert.ok(seen.jobId && job.stream.flowing, 'scenario 4a left the v1 job running with input flowing');
      const suspendAt = Date.now();
      job.patch({ job: { state: 'suspended' } });
      const suspended = await job.waitFor(
        (sd) => sd.status?.lifecycleState === 'SUSPENDED' && sd.status.jobStatus?.state === 'SUSPENDED',
        'the job is SUSPENDED',
        120_000,
      );
      log(`suspend (spec change to SUSPENDED) ${seconds(Date.now() - suspendAt)}`);
      const pending = suspended.status!.reconciliationStatus!.pendingRestore!;
      const last = suspended.status!.jobStatus!.savepointInfo!.lastSavepoint!;
      assert.equal(pending.source, 'savepoint');
      assert.equal(pending.path, last.path, 'it resumes from the savepoint the suspension took');
      assert.equal(last.jobId, seen.jobId);
      assert.notEqual(last.path, seen.manual);
      assert.ok((await job.savepointsInBucket()).includes(last.path), `${last.path} is in the bucket`);
      await eventually(podsLeft, (left) => left.length === 0, 'no pod of the job is left', 90_000);

      // An edit while suspended is kept for the resume, and starts nothing.
      job.patch({ job: { args: job.stream.args('v2') } });
      await job.waitFor(
        (sd) => sd.status?.observedGeneration === sd.metadata.generation,
        'the operator saw the edit',
        60_000,
      );
      const edited = (await job.install.streamDeployment(job.name))!;
      assert.equal(edited.status?.lifecycleState, 'SUSPENDED');
      assert.deepEqual(await podsLeft(), [], 'still no pods');

      const resumeAt = Date.now();
      job.patch({ job: { state: 'running' } });
      const resumed = await job.waitFor(
        (sd) => sd.status?.jobStatus?.state === 'RUNNING' && sd.status.jobStatus.jobId !== seen.jobId,
        'the resumed job runs',
        180_000,
      );
      log(`resume (spec change to RUNNING) ${seconds(Date.now() - resumeAt)}`);
      assert.equal(resumed.status!.jobStatus!.restoredFrom?.source, 'savepoint');
      assert.equal(resumed.status!.jobStatus!.restoredFrom?.path, last.path);
      const jobId = resumed.status!.jobStatus!.jobId!;
      await job.waitFor(
        (sd) => stableWithCheckpoint(sd) && sd.status?.jobStatus?.jobId === jobId,
        'the resumed job is STABLE with a checkpoint',
        120_000,
      );
      const sofar = await job.outputSoFar();
      assert.deepEqual(continuityProblems(sofar, 'v1', 'v2').slice(0, 5), [], `${sofar.length} records read so far`);
      Object.assign(seen, { jobId, suspend: last.path, suspendedFor: resumeAt - suspendAt });
    },
  );

  test(
    'scenario 4c: periodic savepoints; the history keeps its maximum and the savepoints it drops are deleted from S3',
    { timeout: 300_000 },
    async () => {
      assert.ok(seen.suspend && job.stream.flowing, 'scenario 4b left the resumed v2 job running with input flowing');
      const periodicAt = Date.now();
      job.patch({
        config: {
          'kubernetes.operator.periodic.savepoint.interval': '5s',
          'kubernetes.operator.savepoint.history.max.count': '2',
        },
      });
      // The history is trimmed as it grows: collect every periodic savepoint it ever lists, and wait until the
      // bucket has lost the manual savepoint and a periodic one the history dropped.
      const periodic = new Set<string>();
      const settled = await eventually(
        async () => {
          const sd = (await job.install.streamDeployment(job.name))!;
          const info = sd.status?.jobStatus?.savepointInfo;
          for (const h of info?.history ?? []) if (h.triggerType === 'periodic') periodic.add(h.path);
          const history = (info?.history ?? []).map((h) => h.path);
          return {
            sd,
            history,
            dropped: [...periodic].filter((p) => !history.includes(p)),
            bucket: await job.savepointsInBucket(),
          };
        },
        ({ history, dropped, bucket }) =>
          history.filter((p) => p !== seen.suspend).length <= 2 &&
          dropped.length >= 1 &&
          !bucket.includes(seen.manual!) &&
          dropped.every((p) => !bucket.includes(p)) &&
          history.every((p) => bucket.includes(p)),
        'the history at 2 (and the protected one), the manual and a dropped periodic savepoint gone from the bucket',
        150_000,
      ).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}\n${job.install.diagnostics()}`, { cause: error });
      });
      log(
        `periodic savepoints every 5 s: dropped ones deleted from the bucket ${seconds(Date.now() - periodicAt)} after enabling`,
      );
      const { sd, history, dropped } = settled;
      assert.equal(sd.status?.jobStatus?.jobId, seen.jobId, 'operator settings restart nothing');
      assert.equal(sd.status?.jobStatus?.restoredFrom?.path, seen.suspend);
      assert.ok((await job.savepointsInBucket()).includes(seen.suspend), 'the savepoint the job started from is kept');
      // The savepoint the job started from stays in the history beyond its count: it is never deleted.
      assert.deepEqual(
        history.filter((p) => p !== seen.suspend),
        history.slice(-2),
        'the two newest savepoints besides it',
      );
      await eventually(
        () => job.streamSnapshots(),
        (snapshots) => !snapshots.some((s) => s.status?.path === seen.manual || dropped.includes(s.status?.path ?? '')),
        'the StreamSnapshots of the deleted savepoints are gone',
        60_000,
      );

      const { expected, output } = await job.stopAndReadExactlyOnce();
      assert.deepEqual(discontinuities(output, 'v1', 'v2'), [], 'every key carries on at its last count + 1');
      log(
        `${expected.length} records at ${RATE}/s; output gap across suspend and resume ` +
          `${seconds(handoverGap(output, 'v1', 'v2'))} (suspended for ${seconds(seen.suspendedFor!)})`,
      );
    },
  );
});
