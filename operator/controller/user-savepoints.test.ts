import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from './kube-resources.ts';
import { userSavepointsOf } from './user-savepoints.ts';

const snapshot = (
  name: string,
  status: Record<string, unknown>,
  { namespace = 'streaming', deployment = 'orders', labels = {} } = {},
) =>
  ({
    apiVersion: 'brook.dev/v1beta1',
    kind: 'StreamSnapshot',
    metadata: { name, namespace, labels },
    spec: { deploymentName: deployment },
    status,
  }) as unknown as KubeObject;

const completed = (path: string, at: number) => ({ state: 'COMPLETED', path, jobId: 'job-1', resultTimestamp: at });

test("a deployment's state includes the COMPLETED savepoints users took of its jobs, oldest first", () => {
  const savepoints = userSavepointsOf(
    [
      snapshot('newer', completed('s3://sp/b', 2_000)),
      snapshot('older', completed('s3://sp/a', 1_000)),
      snapshot('operators', completed('s3://sp/c', 3_000), { labels: { 'brook.dev/taken-by': 'operator' } }),
      snapshot('other-deployment', completed('s3://sp/d', 3_000), { deployment: 'payments' }),
      snapshot('other-namespace', completed('s3://sp/e', 3_000), { namespace: 'batch' }),
      snapshot('in-progress', { state: 'IN_PROGRESS', jobId: 'job-1', triggerTimestamp: 3_000 }),
      snapshot('failed', { state: 'FAILED', error: 'declined', resultTimestamp: 3_000 }),
      // Registered with alreadyExists: no job named, so never taken for this deployment's state.
      snapshot('registered', { state: 'COMPLETED', path: 's3://sp/f', resultTimestamp: 3_000 }),
    ],
    'streaming',
    'orders',
  );
  assert.deepEqual(savepoints, [
    { path: 's3://sp/a', timestamp: 1_000, triggerType: 'manual', jobId: 'job-1', snapshotName: 'older' },
    { path: 's3://sp/b', timestamp: 2_000, triggerType: 'manual', jobId: 'job-1', snapshotName: 'newer' },
  ]);
});
