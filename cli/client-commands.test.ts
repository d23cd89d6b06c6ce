// The client commands end to end: `brook run` with its REST API on a free
// port, then `brook list|status|savepoint|stop|cancel` against it in other
// processes. Savepoints land on disk, stop ends the run with the savepoint the
// client printed, cancel ends it cancelled, and failures name the JobManager.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitUntil } from '../runtime/testing/wait-until.ts';

const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'brook-client-'));
const runs: ChildProcess[] = [];
after(() => {
  for (const child of runs) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function brook(...args: string[]): Promise<Finished> {
  const child = spawn(process.execPath, [join(root, 'bin', 'brook.js'), ...args], { cwd: root });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

/** `brook run` of a counting job that would run for days, with the REST API on a free port. */
async function startRun(name: string, ...set: string[]) {
  const args = ['run', 'cli/fixtures/counting-job.ts', '--parallelism', '2', '--set', 'rest.port=0'];
  for (const s of set) args.push('--set', s);
  const child = spawn(process.execPath, [join(root, 'bin', 'brook.js'), ...args, '--', '100000000', '50'], {
    cwd: root,
  });
  runs.push(child);
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (output.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await waitUntil(() => output.stderr.includes('running job') || child.exitCode !== null, `${name} runs`, 60_000);
  const url = /REST API at (http:\/\/[^\s"]+)/.exec(output.stderr)?.[1];
  assert.ok(url, `the REST API address is printed: ${output.stderr}`);
  const { jobs } = (await (await fetch(`${url}/jobs`)).json()) as { jobs: { id: string }[] };
  return { child, output, exited, url, jobId: jobs[0]!.id };
}

test('list, savepoint, status and stop against a brook run: savepoints on disk, stop ends the run with its savepoint', async () => {
  const run = await startRun(
    'the savepoint run',
    `state.savepoints.dir=file://${dir}/default`,
    'execution.checkpointing.interval=100ms',
    `state.checkpoints.dir=file://${dir}/checkpoints`,
  );
  const list = await brook('list', '--jobmanager', run.url);
  assert.equal(list.code, 0, list.stderr);
  const [header, row, ...rest] = list.stdout.trim().split('\n');
  assert.match(header!, /^JOB ID\s+STATE\s+STARTED\s+NAME$/);
  assert.match(row!, new RegExp(`^${run.jobId}\\s+RUNNING\\s+\\d{4}-\\d\\d-\\d\\dT\\S+\\s+counting-job$`));
  assert.deepEqual(rest, []);

  const savepoint = await brook('savepoint', run.jobId, '--jobmanager', run.url);
  assert.equal(savepoint.code, 0, savepoint.stderr);
  const location = savepoint.stdout.trim();
  assert.match(location, new RegExp(`^file://${dir}/default/savepoint-${run.jobId.slice(0, 6)}-[0-9a-f]{12}$`));
  assert.ok(existsSync(join(fileURLToPath(location), '_metadata')), 'the savepoint is complete on disk');

  for (const deadline = Date.now() + 30_000; ; await new Promise((resolve) => setTimeout(resolve, 50))) {
    const stats = (await (await fetch(`${run.url}/jobs/${run.jobId}/checkpoints`)).json()) as {
      latest: { completed: unknown };
    };
    if (stats.latest.completed !== null) break;
    assert.ok(Date.now() < deadline, 'a checkpoint completed within 30 s');
  }
  const status = await brook('status', run.jobId, '--jobmanager', run.url);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, new RegExp(`^job: +counting-job \\(${run.jobId}\\)$`, 'm'));
  assert.match(status.stdout, /^state: +RUNNING since \d{4}-/m);
  assert.match(
    status.stdout,
    new RegExp(
      `^checkpoint: \\d+ completed \\S+, [\\d.]+ (B|KiB|MiB), file://${dir}/checkpoints/${run.jobId}/chk-\\d+$`,
      'm',
    ),
  );
  assert.match(status.stdout, new RegExp(`^savepoint: +\\d+ completed \\S+, ${location}$`, 'm'));

  const stop = await brook('stop', run.jobId, '--jobmanager', run.url, '--target-directory', join(dir, 'stopped'));
  assert.equal(stop.code, 0, stop.stderr);
  const stopped = stop.stdout.trim();
  assert.match(stopped, new RegExp(`^file://${dir}/stopped/savepoint-`));
  assert.ok(existsSync(join(fileURLToPath(stopped), '_metadata')));
  assert.equal(await run.exited, 0, run.output.stderr);
  assert.equal(run.output.stdout.trim().split('\n').at(-1), stopped, 'brook run prints the same savepoint');
  assert.match(run.output.stderr, /stopped with savepoint/);
});

test('cancel ends the run cancelled; unknown jobs, bad job ids and an unreachable JobManager fail clearly', async () => {
  const run = await startRun('the cancel run', `state.savepoints.dir=file://${dir}/cancel`);
  const unknown = 'ffffffffffffffffffffffffffffffff';
  const missing = await brook('status', unknown, '--jobmanager', run.url);
  assert.equal(missing.code, 1);
  assert.equal(
    missing.stderr.trim(),
    `brook status: the JobManager at ${run.url} refused GET /jobs/${unknown}: job ${unknown} not found (HTTP 404)`,
  );

  const malformed = await brook('cancel', 'job-1', '--jobmanager', run.url);
  assert.equal(malformed.code, 2);
  assert.match(malformed.stderr, /brook cancel: JOBID must be 32 lowercase hexadecimal characters, got 'job-1'/);

  const cancel = await brook('cancel', run.jobId, '--jobmanager', run.url);
  assert.equal(cancel.code, 0, cancel.stderr);
  assert.match(cancel.stderr, new RegExp(`cancellation of job ${run.jobId} accepted`));
  assert.equal(await run.exited, 130);
  assert.match(run.output.stderr, /job 'counting-job' cancelled/);

  const gone = await brook('list', '--jobmanager', run.url);
  assert.equal(gone.code, 1);
  assert.match(
    gone.stderr,
    new RegExp(`^brook list: cannot reach the JobManager at ${run.url} \\(GET /jobs/overview\\): .*ECONNREFUSED`),
  );
});
