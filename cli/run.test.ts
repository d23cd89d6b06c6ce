// `brook run` end to end in a child process: a real job's output equals an
// independent computation, and bad job modules or failing user code give clear
// errors with the documented exit codes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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

test('an unknown --set key is refused with the known keys listed', () => {
  const result = brook('run', 'examples/wordcount/job.ts', '--set', 'parallelism=2');
  assert.equal(result.status, 2);
  assert.match(result.stderr, /unknown setting 'parallelism'.*parallelism\.default/);
});

test('job names come from the module file, or its folder for job.ts', () => {
  assert.equal(jobNameOf('examples/wordcount/job.ts'), 'wordcount');
  assert.equal(jobNameOf('jobs/fraud.ts'), 'fraud');
});
