// StreamSnapshots against testenv's real kube-apiserver and a real `brook
// jobmanager` (run as local processes from the children the operator created,
// as in upgrade.kube.test.ts): manual savepoints are recorded as StreamSnapshots
// owned by their deployment; history cleanup deletes the data and the record;
// a user's StreamSnapshot takes a savepoint and, deleted with disposeOnDelete,
// deletes the data; alreadyExists only records. Storage is checked on disk.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeConfig } from '@kubernetes/client-node';
import { childNames } from '../children/names.ts';
import { jobIdFor } from '../reconcile/ids.ts';
import { eventually } from '../../runtime/testing/wait-until.ts';
import { kubernetesWithCrds, TestNamespace, type StreamSnapshotObject } from './testing/kube-fixture.ts';
import { LocalCluster } from './testing/local-cluster.ts';

const JOB = new URL('../../runtime/cluster/fixtures/running-count-job.ts', import.meta.url).pathname;

let kc: KubeConfig;
let ns: TestNamespace;
let dir: string;
let cluster: LocalCluster | undefined;

before(async () => {
  kc = await kubernetesWithCrds();
  ns = await TestNamespace.create(kc, 'brook-snap');
  dir = await mkdtemp(join(tmpdir(), 'brook-operator-snapshot-'));
});

after(async () => {
  await cluster?.stop();
  await ns.dispose();
  await rm(dir, { recursive: true, force: true });
});

const onDisk = (uri: string) => existsSync(fileURLToPath(uri));

function snapshotWith(
  selector: string,
  accept: (s: StreamSnapshotObject) => boolean,
  what: string,
): Promise<StreamSnapshotObject> {
  return eventually(
    async () => (await ns.listStreamSnapshots(selector)).find(accept),
    (s) => s !== undefined,
    what,
    60_000,
  ) as Promise<StreamSnapshotObject>;
}

test('savepoints as StreamSnapshots: recorded, cleaned up with their data, requested by a user, disposed on delete', async () => {
  try {
    await snapshots();
  } catch (error) {
    const status = JSON.stringify((await ns.get('snaps'))?.status, null, 1);
    const snaps = JSON.stringify(await ns.listStreamSnapshots(), null, 1);
    throw new Error(`${(error as Error).message}\nstatus: ${status}\nsnapshots: ${snaps}\n${cluster?.logs() ?? ''}`, {
      cause: error,
    });
  }
});

async function snapshots(): Promise<void> {
  let restUrl = 'http://127.0.0.1:1';
  const created = await ns.createStreamDeployment('snaps', {
    config: {
      'state.checkpoints.dir': `file://${dir}/checkpoints`,
      'state.savepoints.dir': `file://${dir}/savepoints`,
      'execution.checkpointing.interval': '500',
      'execution.checkpointing.tolerable-failed-checkpoints': '10',
      'kubernetes.operator.savepoint.history.max.count': '1',
    },
    job: { entry: JOB, args: [`${dir}/out`, '10000000', '2000'], upgradeMode: 'savepoint' },
  });
  const jobId = jobIdFor(created.metadata.uid, 1);
  const controller = ns.controller({ jobManagerUrl: () => restUrl });
  await controller.start();
  const jobManager = await ns.jobManagerDeployment('snaps', jobId, 60_000);
  const configMap = await eventually(() => ns.configMap(childNames('snaps').configMap), Boolean, 'the ConfigMap');
  cluster = await LocalCluster.start({ jobManager, configMap: configMap! });
  restUrl = cluster.restUrl;
  await ns.waitFor('snaps', (s) => s.status?.jobStatus?.state === 'RUNNING', 'runs its job', 60_000);

  // A manual savepoint is recorded as a StreamSnapshot owned by the deployment.
  await ns.patch('snaps', { spec: { job: { savepointTriggerNonce: 1 } } });
  const manual = 'brook.dev/deployment=snaps,brook.dev/trigger-type=manual';
  const first = await snapshotWith(
    manual,
    (s) => s.status?.state === 'COMPLETED',
    'the first manual savepoint recorded',
  );
  const firstPath = first.status!.path!;
  assert.ok(onDisk(firstPath), `${firstPath} is in storage`);
  assert.deepEqual(
    first.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.uid]),
    [['StreamDeployment', 'snaps', created.metadata.uid]],
  );
  assert.equal(first.status?.jobId, jobId);
  assert.equal(
    (await ns.get('snaps'))?.status?.jobStatus?.savepointInfo?.lastSavepoint?.snapshotName,
    first.metadata.name,
  );

  // A second one: history keeps one, so the first savepoint's data and its StreamSnapshot are deleted.
  await ns.patch('snaps', { spec: { job: { savepointTriggerNonce: 2 } } });
  const second = await snapshotWith(
    manual,
    (s) => s.status?.state === 'COMPLETED' && s.metadata.name !== first.metadata.name,
    'the second manual savepoint recorded',
  );
  await eventually(
    () => ns.getStreamSnapshot(first.metadata.name),
    (s) => s === undefined,
    'the first record deleted',
  );
  await eventually(
    async () => onDisk(firstPath),
    (present) => !present,
    `${firstPath} deleted from storage`,
  );
  assert.ok(onDisk(second.status!.path!), 'the newest savepoint stays');

  // A user's StreamSnapshot takes a savepoint of the running job; deleting it deletes the data.
  await ns.createStreamSnapshot('backup', { deploymentName: 'snaps', disposeOnDelete: true });
  const backup = await eventually(
    () => ns.getStreamSnapshot('backup'),
    (s) => s?.status?.state === 'COMPLETED',
    'the user snapshot completes',
    60_000,
  );
  const backupPath = backup!.status!.path!;
  assert.ok(onDisk(backupPath), `${backupPath} is in storage`);
  assert.notEqual(backupPath, second.status?.path);
  assert.deepEqual(backup?.metadata.finalizers, ['brook.dev/snapshot-finalizer']);
  await ns.deleteStreamSnapshot('backup');
  await eventually(
    () => ns.getStreamSnapshot('backup'),
    (s) => s === undefined,
    'the user snapshot is gone',
  );
  assert.ok(!onDisk(backupPath), `${backupPath} deleted from storage`);

  // alreadyExists records without taking a savepoint.
  await ns.createStreamSnapshot('existing', {
    deploymentName: 'snaps',
    alreadyExists: true,
    path: second.status!.path!,
  });
  const existing = await eventually(
    () => ns.getStreamSnapshot('existing'),
    (s) => s?.status?.state === 'COMPLETED',
    'the existing savepoint recorded',
  );
  assert.equal(existing?.status?.path, second.status?.path);
  assert.equal(existing?.status?.triggerId, undefined, 'no savepoint was triggered');
}
