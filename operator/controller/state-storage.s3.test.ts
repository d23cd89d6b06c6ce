// The operator's own storage I/O against testenv's real S3 server: the
// disposal that savepoint history cleanup and StreamSnapshot deletion carry
// out really removes the objects (checked with a plain S3 listing, not through
// the code under test) and nothing beside them; a job's `_job-ended` marker
// written by the runtime is read back with its savepoint path.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { endpoints, temporaryBucket } from '../../scripts/testenv/index.ts';
import { openCheckpointStorage } from '../../runtime/checkpoint/storage.ts';
import { markJobEnded } from '../../runtime/checkpoint/job-ending.ts';
import { act } from './actor.ts';
import type { KubeApi } from './kube-api.ts';
import { StateStorage } from './state-storage.ts';
import { decideSnapshot, SNAPSHOT_FINALIZER } from '../reconcile/snapshot.ts';

let bucket: Awaited<ReturnType<typeof temporaryBucket>>;
let client: S3Client;
const log = pino({ level: 'silent' });

before(async () => {
  bucket = await temporaryBucket('brook-operator');
  client = new S3Client(endpoints.s3);
});

after(async () => {
  client?.destroy();
  await bucket?.remove();
});

async function keys(prefix: string): Promise<string[]> {
  const page = await client.send(new ListObjectsV2Command({ Bucket: bucket.name, Prefix: prefix }));
  return (page.Contents ?? []).map((o) => o.Key!).sort();
}

/** A savepoint directory of a few objects under `root`, written the way the runtime writes them. */
async function writeSavepoint(root: string, name: string): Promise<string> {
  const storage = await openCheckpointStorage(`s3://${bucket.name}/${root}`, endpoints.s3);
  await storage.write(`${name}/_metadata`, Buffer.from('{}'));
  await storage.write(`${name}/op-1/kg-0-15`, Buffer.from('state'));
  return `s3://${bucket.name}/${root}/${name}`;
}

test('history cleanup (disposeSavepoints) deletes every object of each savepoint from S3, and nothing beside it', async () => {
  const root = `savepoints-${randomUUID()}`;
  const a = await writeSavepoint(root, 'savepoint-1');
  const b = await writeSavepoint(root, 'savepoint-2');
  await writeSavepoint(root, 'savepoint-10'); // its name starts with the first one's
  const storage = new StateStorage(endpoints.s3);
  assert.equal(await storage.savepointExists(a), true);
  const deps = { api: undefined as unknown as KubeApi, jobManagerUrl: () => '', storage, restTimeoutMs: 1000 };
  const target = { name: 'orders', namespace: 'ns', uid: 'u', resourceVersion: '1', finalizers: [] };
  await act(deps, target, { type: 'disposeSavepoints', paths: [a, b] }, log);
  assert.deepEqual(await keys(`${root}/`), [`${root}/savepoint-10/_metadata`, `${root}/savepoint-10/op-1/kg-0-15`]);
  assert.equal(await storage.savepointExists(a), false, 'the observer sees it gone');
  assert.equal(await storage.savepointExists(`s3://${bucket.name}/${root}/savepoint-10`), true);
});

test('deleting a StreamSnapshot with disposeOnDelete deletes its savepoint from S3', async () => {
  const root = `savepoints-${randomUUID()}`;
  const path = await writeSavepoint(root, 'savepoint-7');
  const decision = decideSnapshot({
    snapshot: {
      uid: 'u',
      deleting: true,
      finalizers: [SNAPSHOT_FINALIZER],
      operatorTaken: false,
      spec: { deploymentName: 'orders', triggerType: 'manual', alreadyExists: true, path, disposeOnDelete: true },
      status: { state: 'COMPLETED', path },
    },
    deployment: undefined,
    now: 0,
  });
  assert.deepEqual(decision.action, { type: 'release', path });
  // What the controller does for 'release' before it removes the finalizer.
  assert.ok(decision.action.type === 'release' && decision.action.path !== undefined);
  await new StateStorage(endpoints.s3).disposeSavepoint(decision.action.path);
  assert.deepEqual(await keys(`${root}/`), []);
});

test("a job's end marker written by the runtime to S3 is read back with its savepoint; none for a job that did not end", async () => {
  const checkpoints = `s3://${bucket.name}/checkpoints-${randomUUID()}`;
  const jobId = 'a'.repeat(32);
  await markJobEnded(await openCheckpointStorage(checkpoints, endpoints.s3), jobId, {
    state: 'FINISHED',
    at: 42,
    savepoint: 's3://b/savepoints/savepoint-3',
  });
  const storage = new StateStorage(endpoints.s3);
  assert.deepEqual(await storage.jobEnding(checkpoints, jobId), {
    state: 'FINISHED',
    at: 42,
    savepoint: 's3://b/savepoints/savepoint-3',
  });
  assert.equal(await storage.jobEnding(checkpoints, 'b'.repeat(32)), undefined);
});
