// The operator's REST client and storage access against a real `brook
// jobmanager` and `brook taskmanager`, started from the children the operator
// renders (container args and ConfigMap): job state, the latest checkpoint
// seen through REST and in storage, a savepoint sent twice under one trigger
// id taken once, its disposal, and a stop-with-savepoint after which the
// JobManager stays up serving the job's end.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildChildren } from '../children/children.ts';
import { streamDeploymentSpecSchema } from '../resource/stream-deployment-spec.ts';
import { jobIdFor, triggerIdFor } from '../reconcile/ids.ts';
import { JobManagerRest } from './jobmanager-rest.ts';
import { StateStorage } from './state-storage.ts';
import { LocalCluster } from './testing/local-cluster.ts';
import { eventually } from '../../runtime/testing/wait-until.ts';

const JOB = new URL('../../runtime/cluster/fixtures/running-count-job.ts', import.meta.url).pathname;

let dir: string;
let cluster: LocalCluster;
let rest: JobManagerRest;
const jobId = jobIdFor('rest-test-uid', 1);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'brook-operator-rest-'));
  const spec = streamDeploymentSpecSchema.parse({
    image: 'brook:test',
    config: {
      'state.checkpoints.dir': `file://${dir}/checkpoints`,
      'state.savepoints.dir': `file://${dir}/savepoints`,
      'execution.checkpointing.interval': '500',
      // A checkpoint overtaken by the next one on a loaded machine must not restart the job: that is not under test.
      'execution.checkpointing.tolerable-failed-checkpoints': '10',
    },
    job: { entry: JOB, args: [`${dir}/out`, '10000000', '2000'], upgradeMode: 'savepoint' },
  });
  const children = buildChildren({
    metadata: { name: 'counts', namespace: 'default', uid: 'rest-test-uid' },
    spec,
    jobId,
    restore: { source: 'none', recordedAt: 0 },
  });
  cluster = await LocalCluster.start(children);
  rest = new JobManagerRest(cluster.restUrl);
});

after(async () => {
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Runs `step`; a failure carries the processes' logs. */
async function withLogs<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${cluster.logs()}`, { cause: error });
  }
}

test('the job runs under the job id the operator chose, and its checkpoints are found through REST and in storage', async () => {
  assert.deepEqual(await rest.jobIds(), [jobId]);
  await eventually(
    () => rest.job(jobId),
    (job) => job.state === 'RUNNING',
    'the job runs',
  );
  const seen = (await eventually(
    () => rest.latestCheckpoint(jobId),
    (checkpoint) => checkpoint !== undefined,
    'a checkpoint completed',
  ))!;
  assert.equal(seen.path, `file://${dir}/checkpoints/${jobId}/chk-${seen.id}`);
  const stored = await new StateStorage().latestCheckpoint(`file://${dir}/checkpoints`, jobId);
  assert.ok(stored && stored.id >= seen.id, `storage has checkpoint ${stored?.id}, REST said ${seen.id}`);
  assert.equal(stored.path, `file://${dir}/checkpoints/${jobId}/chk-${stored.id}`);
  assert.equal(await new StateStorage().latestCheckpoint(`file://${dir}/checkpoints`, 'f'.repeat(32)), undefined);
});

test('a savepoint sent twice under one trigger id is taken once; an unknown trigger is UNKNOWN', async () => {
  const triggerId = triggerIdFor(jobId, 'manual-1', 0);
  assert.deepEqual(await rest.trigger(jobId, triggerId), { status: 'UNKNOWN' });
  await rest.triggerSavepoint(jobId, triggerId, `file://${dir}/savepoints`, false);
  await rest.triggerSavepoint(jobId, triggerId, `file://${dir}/savepoints`, false);
  const result = await eventually(
    () => rest.trigger(jobId, triggerId),
    (r) => r.status !== 'IN_PROGRESS',
    'the savepoint completed',
  );
  assert.equal(result.status, 'COMPLETED');
  assert.ok(result.status === 'COMPLETED' && result.path.startsWith(`file://${dir}/savepoints/savepoint-`));
  assert.equal((await readdir(join(dir, 'savepoints'))).length, 1, 'one savepoint directory');
  assert.equal((await rest.job(jobId)).state, 'RUNNING', 'a savepoint leaves the job running');
});

test('disposing a savepoint deletes its directory and nothing beside it', async () => {
  const [name] = await readdir(join(dir, 'savepoints'));
  const path = `file://${dir}/savepoints/${name}`;
  // A sibling whose name starts with the disposed one's.
  await mkdir(join(dir, 'savepoints', `${name}0`));
  await writeFile(join(dir, 'savepoints', `${name}0`, '_metadata'), '{}');
  const storage = new StateStorage();
  assert.equal(await storage.savepointExists(path), true);
  await storage.disposeSavepoint(path);
  assert.equal(await storage.savepointExists(path), false);
  assert.equal(await storage.savepointExists(`${path}0`), true);
});

test('stop-with-savepoint sent twice under one trigger id takes one savepoint and ends the job; the JobManager stays up serving the end', async () => {
  const before = (await readdir(join(dir, 'savepoints'))).length;
  const triggerId = triggerIdFor(jobId, 'upgrade-2', 1);
  await rest.triggerSavepoint(jobId, triggerId, `file://${dir}/savepoints`, true);
  await rest.triggerSavepoint(jobId, triggerId, `file://${dir}/savepoints`, true);
  const result = await withLogs(() =>
    eventually(
      () => rest.trigger(jobId, triggerId),
      (r) => r.status !== 'IN_PROGRESS',
      'the stop completed',
    ),
  );
  assert.equal(result.status, 'COMPLETED', cluster.logs());
  assert.equal((await readdir(join(dir, 'savepoints'))).length, before + 1, 'one more savepoint directory');
  // Rendered with execution.shutdown-on-application-finish=false, the JobManager of a stopped job stays up
  // and keeps answering for the job and the trigger until the operator deletes it (SIGTERM).
  await withLogs(() => cluster.jobManager.waitFor(/serving its status until stopped/));
  assert.equal((await rest.job(jobId)).state, 'FINISHED');
  assert.deepEqual(await rest.trigger(jobId, triggerId), result, 'the savepoint path is still served');
  assert.ok(cluster.jobManager.isRunning, cluster.logs());
  const exit = await cluster.jobManager.kill('SIGTERM');
  assert.equal(exit.code, 0, cluster.logs());
});
