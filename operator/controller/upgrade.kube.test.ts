// A savepoint upgrade through a real `brook jobmanager`, against testenv's
// real kube-apiserver. No kubelet yet, so the test runs the JobManager and a
// TaskManager as local processes from the Deployment and ConfigMap the
// operator created, and points the operator at their REST address.
//
// The operator is killed between writing SAVEPOINTING (with the trigger id) to
// status and sending the stop; a new controller reads the record, sends the
// same trigger id, and the upgrade ends with exactly one savepoint, recorded,
// and the new job restored from it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { childNames } from '../children/names.ts';
import { jobIdFor } from '../reconcile/ids.ts';
import type { Decision } from '../reconcile/action.ts';
import { JobManagerRest } from './jobmanager-rest.ts';
import { eventually } from '../../runtime/testing/wait-until.ts';
import { kubernetesWithCrds, TestNamespace } from './testing/kube-fixture.ts';
import { LocalCluster } from './testing/local-cluster.ts';

const JOB = new URL('../../runtime/cluster/fixtures/running-count-job.ts', import.meta.url).pathname;

let kc: KubeConfig;
let ns: TestNamespace;
let dir: string;
const clusters: LocalCluster[] = [];

before(async () => {
  kc = await kubernetesWithCrds();
  ns = await TestNamespace.create(kc, 'brook-upg');
  dir = await mkdtemp(join(tmpdir(), 'brook-operator-upgrade-'));
});

after(async () => {
  await Promise.all(clusters.map((c) => c.stop()));
  await ns.dispose();
  await rm(dir, { recursive: true, force: true });
});

/** Runs what the JobManager Deployment and the ConfigMap of `name` describe, as a kubelet would. */
async function runChildren(name: string, jobId: string): Promise<LocalCluster> {
  const jobManager = await ns.jobManagerDeployment(name, jobId, 60_000);
  const configMap = await eventually(() => ns.configMap(childNames(name).configMap), Boolean, 'the ConfigMap');
  const cluster = await LocalCluster.start({ jobManager, configMap: configMap! });
  clusters.push(cluster);
  return cluster;
}

test('killed between recording the stop-with-savepoint and sending it, the operator resumes with the same trigger: one savepoint, restored by the new job', async () => {
  try {
    await upgradeAcrossOperatorRestart();
  } catch (error) {
    const status = JSON.stringify((await ns.get('counts'))?.status, null, 1);
    const logs = clusters.map((c) => c.logs()).join('\n');
    throw new Error(`${(error as Error).message}\nstatus: ${status}\n${logs}`, { cause: error });
  }
});

async function upgradeAcrossOperatorRestart(): Promise<void> {
  let restUrl = 'http://127.0.0.1:1';
  const jobManagerUrl = () => restUrl;
  const savepoints = `file://${dir}/savepoints`;
  const created = await ns.createStreamDeployment('counts', {
    config: {
      'state.checkpoints.dir': `file://${dir}/checkpoints`,
      'state.savepoints.dir': savepoints,
      'execution.checkpointing.interval': '500',
      // A checkpoint overtaken by the next one on a loaded machine must not restart the job: that is not under test.
      'execution.checkpointing.tolerable-failed-checkpoints': '10',
    },
    job: { entry: JOB, args: [`${dir}/out`, '10000000', '2000'], upgradeMode: 'savepoint' },
  });
  const uid = created.metadata.uid;
  const firstJob = jobIdFor(uid, 1);

  // Operator A: crashes (hangs for good) right before it would send the stop.
  let recorded: Decision | undefined;
  let crashed!: () => void;
  const crash = new Promise<void>((resolve) => (crashed = resolve));
  const a = ns.controller({
    identity: 'operator-a',
    jobManagerUrl,
    hooks: {
      beforeAct: async (_key, decision) => {
        if (decision.action.type !== 'triggerSavepoint' || !decision.action.stop) return;
        recorded = decision;
        crashed();
        await new Promise(() => {}); // never acts
      },
    },
    shutdownGraceMs: 200,
  });
  await a.start();

  const first = await runChildren('counts', firstJob);
  restUrl = first.restUrl;
  await ns.waitFor('counts', (s) => s.status?.jobStatus?.state === 'RUNNING', 'runs its job', 60_000);
  await eventually(() => new JobManagerRest(restUrl).latestCheckpoint(firstJob), Boolean, 'a checkpoint completed');

  await ns.patch('counts', { spec: { config: { 'execution.checkpointing.interval': '600' } } });
  await crash;
  await a.stop();
  assert.ok(recorded?.action.type === 'triggerSavepoint');
  const triggerId = recorded.action.triggerId;
  const written = await ns.get('counts');
  const operation = written?.status?.reconciliationStatus?.operation;
  assert.equal(operation?.phase, 'SAVEPOINTING', 'the step is in status before it is taken');
  assert.equal(operation?.savepoint?.triggerId, triggerId, 'with its trigger id');
  assert.equal(written?.status?.lifecycleState, 'UPGRADING');
  assert.deepEqual(await new JobManagerRest(restUrl).trigger(firstJob, triggerId), { status: 'UNKNOWN' }, 'not sent');
  assert.equal((await new JobManagerRest(restUrl).job(firstJob)).state, 'RUNNING');

  // Operator B starts from what A recorded.
  const sent: string[] = [];
  const b = ns.controller({
    identity: 'operator-b',
    jobManagerUrl,
    hooks: {
      beforeAct: async (_key, decision) => {
        if (decision.action.type === 'triggerSavepoint') sent.push(decision.action.triggerId);
      },
    },
  });
  await b.start();

  const secondJob = jobIdFor(uid, 2);
  const jobManager = await ns.jobManagerDeployment('counts', secondJob, 60_000);
  assert.deepEqual([...new Set(sent)], [triggerId], 'B sent the recorded trigger id, and no other');
  const spDirs = await readdir(join(dir, 'savepoints'));
  assert.equal(spDirs.length, 1, `exactly one savepoint: ${spDirs.join(', ')}`);
  const savepoint = `${savepoints}/${spDirs[0]}`;
  const status = (await ns.get('counts'))!.status!;
  assert.equal(status.jobStatus?.restoredFrom?.path, savepoint);
  assert.equal(status.jobStatus?.restoredFrom?.source, 'savepoint');
  assert.equal(status.jobStatus?.savepointInfo?.lastSavepoint?.path, savepoint);
  assert.deepEqual(
    status.jobStatus?.savepointInfo?.history?.map((h) => [h.path, h.triggerType, h.jobId]),
    [[savepoint, 'upgrade', firstJob]],
  );
  assert.ok(jobManager.spec?.template.spec?.containers[0]?.args?.includes(`execution.savepoint.path=${savepoint}`));
  await first.stop();

  // The new JobManager starts from that savepoint, as the runtime itself reports.
  const second = await runChildren('counts', secondJob);
  restUrl = second.restUrl;
  await second.jobManager.waitFor(/from savepoint/, 60_000);
  const restored = await eventually(
    async () =>
      (
        (await (await fetch(`${restUrl}/jobs/${secondJob}/checkpoints`)).json()) as {
          latest?: { restored?: { external_path?: string } | null };
        }
      ).latest?.restored?.external_path,
    (path) => path !== undefined,
    'the new job reports what it restored',
  );
  assert.equal(restored?.replace(/\/+$/, ''), savepoint);
  await ns.waitFor(
    'counts',
    (s) => s.status?.jobStatus?.jobId === secondJob && s.status.jobStatus.state === 'RUNNING',
    'runs the upgraded job',
    60_000,
  );
  const configMap = await ns.configMap(childNames('counts').configMap);
  assert.match(configMap?.data?.['brook.yaml'] ?? '', /execution\.checkpointing\.interval: "?600"?/);
}
