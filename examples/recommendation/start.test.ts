// `npm start`'s command in a child process, bounded by `--max-records`: it
// reports progress, stops by itself with a savepoint and prints its path; a
// second run resumes from that savepoint where the first one stopped.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { parseJobArguments } from './job.ts';
import type { Recommendation } from './scoring.ts';

const root = join(import.meta.dirname, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'brook-recommendation-start-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** package.json's start script as argv: `node bin/brook.js run JOB --config FILE --`. */
function startCommand(): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const argv = pkg.scripts.start.split(/\s+/);
  assert.deepEqual(argv.slice(0, 4), ['node', 'bin/brook.js', 'run', 'examples/recommendation/job.ts']);
  assert.equal(argv.at(-1), '--', 'the start script passes what follows `npm start --` to the job');
  return argv;
}

/** Runs the start command with `brook` flags added before its `--` and job arguments after; resolves when it exits. */
function run(
  brookFlags: string[],
  jobArgs: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [, ...argv] = startCommand();
  const child = spawn(process.execPath, [...argv.slice(0, -1), ...brookFlags, '--', ...jobArgs], {
    cwd: root,
    env: {
      ...process.env,
      BROOK_CHECKPOINT_DIR: `file://${dir}/checkpoints`,
      BROOK_SAVEPOINT_DIR: `file://${dir}/savepoints`,
      REDIS_URL: '',
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the job did not stop within 50 s; stderr:\n${stderr}`));
    }, 50_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The JSON recommendations a run printed (`N> {...}` at parallelism 2). */
function recommendationsIn(stdout: string): Recommendation[] {
  return stdout
    .split('\n')
    .filter((line) => /^\d+> \{/.test(line))
    .map((line) => JSON.parse(line.replace(/^\d+> /, '')) as Recommendation);
}

const fast = ['--set', 'user.generator.recordsPerSecond=2000', '--set', 'user.progress.interval=300ms'];

test(
  'npm start -- --max-records N stops with a savepoint and prints its path; a run from it carries on',
  { timeout: 120_000 },
  async () => {
    const first = await run([...fast, '--set', 'checkpoints.interval=300ms'], ['--max-records', '3000']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /read 3000 behaviour records \(--max-records\); stopping with a savepoint/);
    assert.match(first.stderr, /recommendation: in \d+\/s \(behaviour \d+, profiles 200, products 150\), out \d+\/s/);
    assert.match(first.stderr, /checkpoints [1-9]\d*/, 'checkpoints completed while it ran');
    assert.match(
      first.stderr,
      /^ {2}u\d{4} @\d{4}-\d\d-\d\dT[\d:.]+Z: p\d{4} \d\.\d\d/m,
      'the latest recommendations are shown',
    );
    const savepoint = first.stdout.trim().split('\n').at(-1)!;
    assert.match(savepoint, /^file:\/\/.*\/savepoints\/savepoint-recommendation-\d+$/);
    assert.ok(existsSync(join(fileURLToPath(savepoint), '_metadata')), 'the savepoint is complete');
    const before = recommendationsIn(first.stdout);
    assert.ok(before.length > 100, `${before.length} recommendations printed`);
    for (const r of before) assert.ok(r.items.length <= 10);

    const second = await run([...fast, '--from-savepoint', savepoint], ['--max-records', '1000']);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout.trim().split('\n').at(-1)!, /^file:\/\/.*\/savepoint-recommendation-\d+$/);
    const after = recommendationsIn(second.stdout);
    assert.ok(after.length > 0, 'the resumed run recommends');
    // Windows that fired before the savepoint do not fire again: the resumed run goes on in event time.
    const lastBefore = Math.max(...before.map((r) => r.windowEnd));
    assert.ok(Math.min(...after.map((r) => r.windowEnd)) > lastBefore);
  },
);

test('job arguments: --max-records N or --max-records=N, after an optional --', () => {
  assert.deepEqual(parseJobArguments([]), {});
  assert.deepEqual(parseJobArguments(['--max-records', '10']), { maxRecords: 10 });
  assert.deepEqual(parseJobArguments(['--', '--max-records=7']), { maxRecords: 7 });
  assert.throws(() => parseJobArguments(['--max-records', '0']), /expected a positive number of records, got 0/);
  assert.throws(() => parseJobArguments(['--max-records']), /got nothing/);
});

test('a bad job argument is refused before the job runs, naming it (exit 2)', { timeout: 60_000 }, async () => {
  const result = await run([], ['--max-records', 'many']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /job argument --max-records: expected a positive number of records, got many/);
  const unknown = await run([], ['--fast']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /job argument --fast: unknown \(the recommendation job takes --max-records N\)/);
});
