// The JobManager and TaskManagers in one process, talking over loopback TCP:
// the same job gives exactly the mini-cluster's results, also across failures.
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readLatestPointer } from '../checkpoint/latest-pointer.ts';
import { listCompletedCheckpoints } from '../checkpoint/restore-selection.ts';
import { openCheckpointStorage } from '../checkpoint/storage.ts';
import { describeCauseChain } from '../errors.ts';
import { startInProcessCluster } from '../testing/in-process-cluster.ts';
import { committedOutput, exactlyOnceProblems } from './fixtures/running-count-output.ts';

const JOB = new URL('./fixtures/running-count-job.ts', import.meta.url).pathname;
const CODEC_JOB = new URL('./fixtures/codec-job.ts', import.meta.url).pathname;
const UNSERIALIZABLE_JOB = new URL('./fixtures/unserializable-job.ts', import.meta.url).pathname;

function startCluster(
  taskManagers: number,
  settings: object,
  args: string[],
  path = JOB,
  taskManagerSecret?: (index: number) => string | undefined,
) {
  return startInProcessCluster({
    job: { path, args, name: 'running-count' },
    settings,
    taskManagers,
    taskManagerSecret,
  });
}

describe('JobManager with TaskManagers on loopback', () => {
  const dirs: string[] = [];
  after(async () => {
    if (!process.env.KEEP) for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('with cluster.secret, TaskManagers without it are never registered; those with it run the job exactly once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'brook-cluster-'));
    dirs.push(dir);
    const records = 5_000;
    const secret = 'a cluster secret of the job';
    // tm-0 has no secret and tm-1 a wrong one; tm-2 and tm-3 have the job's.
    const secrets = [undefined, 'a different secret, same length', secret, secret];
    const { jobManager, stop } = await startCluster(
      4,
      {
        job: { parallelism: 2 },
        checkpoints: { interval: 100, dir: `file://${dir}/checkpoints` },
        cluster: { secret },
      },
      [`${dir}/out`, String(records)],
      JOB,
      (i) => secrets[i],
    );
    try {
      const result = await jobManager.run();
      assert.equal(result.state, 'FINISHED', String(result.failure));
      assert.deepEqual(exactlyOnceProblems(await committedOutput(`${dir}/out`), records), []);
      assert.deepEqual(
        jobManager
          .taskManagerInfo()
          .map((tm) => tm.id)
          .sort(),
        ['tm-2', 'tm-3'],
      );
    } finally {
      await stop();
    }
  });

  it('runs a keyed running count at parallelism 3 with each count committed exactly once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'brook-cluster-'));
    dirs.push(dir);
    const records = 20_000;
    const { jobManager, stop } = await startCluster(
      3,
      {
        job: { parallelism: 3 },
        checkpoints: { interval: 100, dir: `file://${dir}/checkpoints` },
      },
      [`${dir}/out`, String(records)],
    );
    try {
      const result = await jobManager.run();
      assert.equal(result.state, 'FINISHED', String(result.failure));
      const output = await committedOutput(`${dir}/out`);
      assert.deepEqual(exactlyOnceProblems(output, records), []);
      assert.equal(output.length, records);
      // The pointer next to the checkpoints names the newest complete one.
      const storage = await openCheckpointStorage(`file://${dir}/checkpoints`);
      const pointer = await readLatestPointer(storage, jobManager.jobId);
      assert.equal(pointer?.checkpointId, (await listCompletedCheckpoints(storage, jobManager.jobId))[0]);
      assert.equal(pointer?.location, `file://${dir}/checkpoints/${jobManager.jobId}/chk-${pointer?.checkpointId}`);
    } finally {
      await stop();
    }
  });

  it('fails at the first record that cannot cross to another TaskManager, naming the operator and the record', async () => {
    const { jobManager, stop } = await startCluster(2, { job: { parallelism: 2 } }, [], UNSERIALIZABLE_JOB);
    try {
      const result = await jobManager.run();
      assert.equal(result.state, 'FAILED');
      const message = describeCauseChain(result.failure);
      assert.match(message, /output of operator 'attach a callback' to 'Map' on another TaskManager/);
      assert.match(message, /on record \{ n: \d+, describe: \[Function: describe\] \}/);
      assert.match(message, /a function cannot be serialised/);
    } finally {
      await stop();
    }
  });

  it("uses a stream's own codec for its records across TaskManagers (class instances keep their class)", async () => {
    for (const [args, state] of [
      [['codec'], 'FINISHED'],
      [[], 'FAILED'],
    ] as const) {
      const { jobManager, stop } = await startCluster(2, { job: { parallelism: 2 } }, [...args], CODEC_JOB);
      try {
        const result = await jobManager.run();
        assert.equal(result.state, state, describeCauseChain(result.failure));
        if (state === 'FAILED') assert.match(describeCauseChain(result.failure), /arrived without its class/);
      } finally {
        await stop();
      }
    }
  });
});
