// Which StreamSnapshots users created count as a deployment's state: COMPLETED
// ones of this deployment's own jobs, not those being deleted, and not those of
// an earlier StreamDeployment of the same name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { KubeObject } from './kube-resources.ts';
import { userSavepointsOf, type SavepointOwner } from './user-savepoints.ts';

const UID = '6b1f0e2a-4c3d-4e5f-8a9b-0c1d2e3f4a5b';
const OLD_UID = '0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d';
/** Job ids as the operator makes them (reconcile/ids.ts), computed here independently. */
const jobOf = (uid: string, sequence: number) =>
  createHash('sha256').update(`job/${uid}/${sequence}`).digest('hex').slice(0, 32);
const JOB_1 = jobOf(UID, 1);
const JOB_2 = jobOf(UID, 2);
const owner: SavepointOwner = { namespace: 'streaming', name: 'orders', uid: UID, deploySequence: 2 };

const snapshot = (
  name: string,
  status: Record<string, unknown>,
  {
    namespace = 'streaming',
    deployment = 'orders',
    labels = {},
    deletionTimestamp,
  }: { namespace?: string; deployment?: string; labels?: Record<string, string>; deletionTimestamp?: string } = {},
) =>
  ({
    apiVersion: 'brook.dev/v1beta1',
    kind: 'StreamSnapshot',
    metadata: { name, namespace, labels, ...(deletionTimestamp ? { deletionTimestamp } : {}) },
    spec: { deploymentName: deployment },
    status,
  }) as unknown as KubeObject;

const completed = (path: string, at: number, jobId = JOB_1) => ({
  state: 'COMPLETED',
  path,
  jobId,
  resultTimestamp: at,
});

test("a deployment's state includes the COMPLETED savepoints users took of its jobs, oldest first", () => {
  const savepoints = userSavepointsOf(
    [
      snapshot('newer', completed('s3://sp/b', 2_000, JOB_2)),
      snapshot('older', completed('s3://sp/a', 1_000)),
      snapshot('operators', completed('s3://sp/c', 3_000), { labels: { 'brook.dev/taken-by': 'operator' } }),
      snapshot('other-deployment', completed('s3://sp/d', 3_000), { deployment: 'payments' }),
      snapshot('other-namespace', completed('s3://sp/e', 3_000), { namespace: 'batch' }),
      snapshot('in-progress', { state: 'IN_PROGRESS', jobId: JOB_1, triggerTimestamp: 3_000 }),
      snapshot('failed', { state: 'FAILED', error: 'declined', resultTimestamp: 3_000 }),
      // Registered with alreadyExists: no job named, so never taken for this deployment's state.
      snapshot('registered', { state: 'COMPLETED', path: 's3://sp/f', resultTimestamp: 3_000 }),
    ],
    owner,
  );
  assert.deepEqual(savepoints, [
    { path: 's3://sp/a', timestamp: 1_000, triggerType: 'manual', jobId: JOB_1, snapshotName: 'older' },
    { path: 's3://sp/b', timestamp: 2_000, triggerType: 'manual', jobId: JOB_2, snapshotName: 'newer' },
  ]);
});

test('a StreamSnapshot being deleted is not state any more: its data may be being disposed of', () => {
  const savepoints = userSavepointsOf(
    [
      snapshot('kept', completed('s3://sp/a', 1_000)),
      snapshot('deleting', completed('s3://sp/b', 2_000), { deletionTimestamp: '2026-01-01T10:00:00Z' }),
    ],
    owner,
  );
  assert.deepEqual(
    savepoints.map((s) => s.snapshotName),
    ['kept'],
  );
});

test('savepoints of an earlier StreamDeployment of the same name (deleted, then created again) are not its state, however new', () => {
  const savepoints = userSavepointsOf(
    [
      snapshot('ours', completed('s3://sp/ours', 1_000)),
      // Taken of the old incarnation's job: same name, same namespace, later timestamp.
      snapshot('old-incarnation', completed('s3://sp/old', 5_000, jobOf(OLD_UID, 1))),
      // A job this incarnation has not deployed (yet): never one of its own.
      snapshot('future', completed('s3://sp/future', 6_000, jobOf(UID, 3))),
    ],
    owner,
  );
  assert.deepEqual(
    savepoints.map((s) => s.path),
    ['s3://sp/ours'],
  );
  assert.deepEqual(
    userSavepointsOf([snapshot('ours', completed('s3://sp/ours', 1_000))], { ...owner, deploySequence: undefined }),
    [],
    'a deployment that has deployed no job has no savepoints of its own',
  );
});
