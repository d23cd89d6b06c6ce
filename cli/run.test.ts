// `brook run` end to end in a child process: a real job's output equals an
// independent computation, and bad job modules or failing user code give clear
// errors with the documented exit codes.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { test } from 'node:test';
import { jobNameOf } from './run.ts';

const root = join(import.meta.dirname, '..');
const brook = (...args: string[]) =>
  spawnSync(process.execPath, [join(root, 'bin', 'brook.js'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });

test('brook run of the word count example at parallelism 2 ends with the count of every word', () => {
  const lines = ['the quick brown fox', 'jumps over the lazy dog', 'the end'];
  const result = brook('run', 'examples/wordcount/job.ts', '--parallelism', '2', '--', ...lines);
  assert.equal(result.status, 0, result.stderr);
  const expected = new Map<string, number>();
  for (const word of lines.join(' ').split(' ')) expected.set(word, (expected.get(word) ?? 0) + 1);
  // Each line is "N> [ 'word', count ]"; the last update of a word carries its final count.
  const final = new Map<string, number>();
  for (const line of result.stdout.trim().split('\n')) {
    const match = /\[ '([^']+)', (\d+) \]/.exec(line);
    assert.ok(match, `unexpected output line: ${line}`);
    final.set(match[1]!, Math.max(final.get(match[1]!) ?? 0, Number(match[2])));
  }
  assert.deepEqual(final, expected);
  assert.match(result.stderr, /job 'wordcount' finished/);
});

test('a job module without a default export is a usage error (exit 2) that says what to export', () => {
  const result = brook('run', 'cli/fixtures/no-default-export.ts');
  assert.equal(result.status, 2);
  assert.match(result.stderr, /must export a default function build\(env, args\)/);
});

test('a missing job module is a usage error naming the path', () => {
  const result = brook('run', 'examples/does-not-exist.ts');
  assert.equal(result.status, 2);
  assert.match(result.stderr, /job module examples\/does-not-exist\.ts does not exist/);
});

test('a user function that throws fails the job (exit 1) naming the operator, the key and the error', () => {
  const result = brook('run', 'cli/fixtures/failing-job.ts');
  assert.equal(result.status, 1);
  assert.match(result.stderr, /operator 'reject-four' failed/);
  assert.match(result.stderr, /on record 4/);
  assert.match(result.stderr, /four is not allowed/);
});

test('an unknown --set key is refused (exit 2) with the key probably meant', () => {
  const result = brook('run', 'examples/wordcount/job.ts', '--set', 'parallelism=2');
  assert.equal(result.status, 2);
  assert.match(result.stderr, /parallelism: unknown key \(did you mean job\.parallelism\?\)/);
});

test('job names come from the module file, or its folder for job.ts', () => {
  assert.equal(jobNameOf('examples/wordcount/job.ts'), 'wordcount');
  assert.equal(jobNameOf('jobs/fraud.ts'), 'fraud');
});

test('Ctrl-C stops the job with a savepoint and prints its path; --from-savepoint resumes with exact totals', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'brook-run-savepoint-'));
  try {
    const args = [
      'run',
      'cli/fixtures/counting-job.ts',
      '--parallelism',
      '2',
      '--set',
      `state.savepoints.dir=file://${dir}`,
    ];
    const child = spawn(process.execPath, [join(root, 'bin', 'brook.js'), ...args, '--', '3000', '1500'], {
      cwd: root,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Once the job runs (however long start-up took on this machine), stop it part-way.
    for (let waited = 0; !stderr.includes('running job') && waited < 30_000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await new Promise((resolve) => setTimeout(resolve, 400));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0, stderr);
    const savepoint = stdout.trim().split('\n').at(-1)!;
    assert.match(savepoint, /^file:\/\/.*savepoint-counting-job-\d+$/);
    assert.ok(existsSync(join(fileURLToPath(savepoint), '_metadata')), 'the savepoint is complete');
    assert.match(stderr, /stopped with savepoint/);

    const resumed = brook(...args, '--from-savepoint', savepoint, '--', '3000', '100000');
    assert.equal(resumed.status, 0, resumed.stderr);
    const totals = new Map(
      resumed.stdout
        .trim()
        .split('\n')
        .map((l) => l.replace(/^\d+> /, '').split('=') as [string, string]),
    );
    // Independently: the generator's keys for records 0..2999 with seed 3.
    const { SeededRandom, seedFor } = await import('../runtime/connectors/random.ts');
    const random = new SeededRandom();
    const expected = new Map<string, string>();
    const counts = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const key = `k${random.reset(seedFor(3, i)).int(0, 5)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    for (const [key, n] of counts) expected.set(key, String(n));
    assert.deepEqual(totals, expected);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
