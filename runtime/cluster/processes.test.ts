// A JobManager and three TaskManagers as separate `brook` processes on
// loopback: each count is committed exactly once, also when a TaskManager or
// the JobManager is killed with SIGKILL mid-run and a new one takes its place.
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { BrookProcess } from '../testing/brook-process.ts';
import { ProcessCluster } from '../testing/process-cluster.ts';
import { waitUntil } from '../testing/wait-until.ts';
import { committedOutput, exactlyOnceProblems } from './fixtures/running-count-output.ts';

const JOB = new URL('./fixtures/running-count-job.ts', import.meta.url).pathname;

function completedCheckpoints(checkpointDir: string, jobId: string): number {
  const dir = join(checkpointDir, jobId);
  if (!existsSync(dir)) return 0;
  return readdirSync(dir).filter((name) => existsSync(join(dir, name, '_metadata'))).length;
}

/** The running-count job on a ProcessCluster, under one job id, with its checkpoints and output in `dir`. */
class RunningCountCluster extends ProcessCluster {
  jobId = randomUUID().replaceAll('-', '');

  constructor(
    readonly dir: string,
    readonly records: number,
    readonly rate: number,
  ) {
    super();
  }

  /** Starts a JobManager of the job at `parallelism`, with `settings` on top of the test's. */
  async startJobManagerAt(parallelism: number, settings: string[] = []): Promise<void> {
    await this.startJobManager({
      flags: ['--job', JOB],
      settings: [
        `job.parallelism=${parallelism}`,
        `job.id=${this.jobId}`,
        'cluster.heartbeatInterval=200',
        'cluster.heartbeatTimeout=3000',
        'checkpoints.interval=300',
        `checkpoints.dir=file://${this.dir}/checkpoints`,
        'restartStrategy.type=fixed-delay',
        'restartStrategy.delay=200',
        ...settings,
      ],
      jobArgs: [`${this.dir}/out`, String(this.records), String(this.rate)],
    });
  }

  checkpoints(): number {
    return completedCheckpoints(join(this.dir, 'checkpoints'), this.jobId);
  }
}

describe('brook jobmanager and brook taskmanager processes', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  async function cluster(records: number, rate: number): Promise<RunningCountCluster> {
    const dir = await mkdtemp(join(tmpdir(), 'brook-processes-'));
    dirs.push(dir);
    return new RunningCountCluster(dir, records, rate);
  }

  async function expectExactlyOnce(c: RunningCountCluster): Promise<void> {
    const exit = await c.jobManager.exited;
    assert.equal(exit.code, 0, c.logs());
    const output = await committedOutput(join(c.dir, 'out'));
    assert.deepEqual(exactlyOnceProblems(output, c.records), [], c.logs());
    assert.equal(output.length, c.records);
  }

  it('a TaskManager killed with SIGKILL mid-run is replaced and every count is committed exactly once', async () => {
    const c = await cluster(24_000, 4000);
    try {
      await c.startJobManagerAt(3);
      for (let i = 0; i < 3; i++) c.startTaskManager();
      await waitUntil(() => c.checkpoints() > 0, 'a checkpoint completed', 30_000);
      const victim = c.taskManagers[1]!;
      await victim.kill('SIGKILL');
      c.startTaskManager();
      await c.jobManager.waitFor(/attempt 1 failed, restarting/);
      await expectExactlyOnce(c);
      assert.match(c.jobManager.stderr, /deploying attempt 2/);
    } finally {
      await c.stop();
    }
  });

  it('a TaskManager that stops heartbeating (SIGSTOP) is declared lost after the timeout and replaced', async () => {
    const c = await cluster(24_000, 4000);
    try {
      await c.startJobManagerAt(3);
      for (let i = 0; i < 3; i++) c.startTaskManager();
      await waitUntil(() => c.checkpoints() > 0, 'a checkpoint completed', 30_000);
      const frozen = c.taskManagers[2]!;
      frozen.child.kill('SIGSTOP');
      c.startTaskManager();
      await c.jobManager.waitFor(/lost: no heartbeat for \d+ ms \(timeout 3000 ms\)/);
      await expectExactlyOnce(c);
      assert.match(c.jobManager.stderr, /deploying attempt 2/);
    } finally {
      await c.stop();
    }
  });

  it('stop with a savepoint at 3 TaskManagers through the REST API, start at 2 from it: every count exactly once', async () => {
    const c = await cluster(24_000, 4000);
    try {
      await c.startJobManagerAt(3);
      for (let i = 0; i < 3; i++) c.startTaskManager();
      await waitUntil(() => c.checkpoints() > 0, 'a checkpoint completed', 30_000);
      const jobs = (await (await fetch(`${c.restUrl}/jobs`)).json()) as { jobs: { id: string; status: string }[] };
      assert.deepEqual(jobs.jobs, [{ id: c.jobId, status: 'RUNNING' }]);
      // The JobManager's own view: its registered TaskManagers, and checkpoints as its coordinator saw them.
      const tms = (await (await fetch(`${c.restUrl}/taskmanagers`)).json()) as {
        taskmanagers: { id: string; slotsNumber: number; freeSlots: number }[];
      };
      assert.equal(tms.taskmanagers.length, 3);
      assert.ok(tms.taskmanagers.every((tm) => tm.slotsNumber === 1 && tm.freeSlots === 0));
      const checkpoints = (await (await fetch(`${c.restUrl}/jobs/${c.jobId}/checkpoints`)).json()) as {
        counts: { completed: number };
        latest: { completed?: { external_path: string } | null };
      };
      assert.ok(checkpoints.counts.completed > 0);
      assert.match(checkpoints.latest.completed!.external_path, new RegExp(`/checkpoints/${c.jobId}/chk-\\d+$`));
      const stop = new BrookProcess('brook stop', [
        'stop',
        c.jobId,
        '--jobmanager',
        c.restUrl,
        '--target-directory',
        `file://${c.dir}/savepoints`,
      ]);
      assert.equal((await stop.exited).code, 0, stop.stderr);
      const savepoint = stop.stdout.trim();
      assert.match(savepoint, /^file:\/\/.*savepoints\/savepoint-/);
      assert.equal((await c.jobManager.exited).code, 0, c.logs());
      await Promise.all(c.taskManagers.map((tm) => tm.kill('SIGTERM')));
      c.taskManagers.length = 0;
      // A JobManager started again under the ended job's id (a pod restarted) does not run it again.
      await c.startJobManagerAt(3);
      await c.jobManager.waitFor(/already ended \(FINISHED, savepoint file:.*\); it is not run again/);
      const ended = (await (await fetch(`${c.restUrl}/jobs/${c.jobId}`)).json()) as { state: string };
      assert.equal(ended.state, 'FINISHED');
      await c.jobManager.kill('SIGTERM');
      // The upgrade: a new job id (as the operator gives every deployment), started from the savepoint at 2.
      c.jobId = randomUUID().replaceAll('-', '');
      await c.startJobManagerAt(2, [`execution.savepoint.path=${savepoint}`]);
      for (let i = 0; i < 2; i++) c.startTaskManager();
      await c.jobManager.waitFor(/starting job [0-9a-f]+ from savepoint/);
      await expectExactlyOnce(c);
    } finally {
      await c.stop();
    }
  });

  it('a JobManager killed with SIGKILL is started again and resumes from the latest checkpoint', async () => {
    const c = await cluster(24_000, 4000);
    try {
      await c.startJobManagerAt(3);
      for (let i = 0; i < 3; i++) c.startTaskManager();
      await waitUntil(() => c.checkpoints() > 0, 'a checkpoint completed', 30_000);
      await c.jobManager.kill('SIGKILL');
      const firstLog = c.jobManager.stderr;
      // The TaskManagers stay: they register again with the new JobManager on the same port.
      const port = c.controlPort;
      await c.startJobManagerAt(3, []);
      assert.notEqual(c.controlPort, 0);
      // A new control port: tell the TaskManagers by restarting them (a pod gets the Service's stable address).
      if (c.controlPort !== port) {
        await Promise.all(c.taskManagers.map((tm) => tm.kill('SIGKILL')));
        for (let i = 0; i < 3; i++) c.startTaskManager();
      }
      await c.jobManager.waitFor(/resuming job [0-9a-f]+ from checkpoint/);
      await expectExactlyOnce(c);
      assert.doesNotMatch(firstLog, /finished/);
    } finally {
      await c.stop();
    }
  });
});
