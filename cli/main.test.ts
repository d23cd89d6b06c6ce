// The CLI's contract: help and version work, every usage mistake is one line
// naming the mistake, and the process exits 2 for it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { commands } from './commands.ts';
import { parseCommandLine } from './main.ts';
import { UsageError } from './usage-error.ts';

const root = join(import.meta.dirname, '..');
const brook = (...args: string[]) =>
  spawnSync(process.execPath, [join(root, 'bin', 'brook.js'), ...args], { encoding: 'utf8', timeout: 30_000 });

test('every command of DESIGN.md is registered', () => {
  assert.deepEqual(commands.map((c) => c.name).sort(), [
    'cancel',
    'jobmanager',
    'list',
    'operator',
    'run',
    'savepoint',
    'status',
    'stop',
    'taskmanager',
  ]);
});

const jobId = '0123456789abcdef0123456789abcdef';

const usageMistakes: [argv: string[], message: string][] = [
  [['frob'], "brook: unknown command 'frob'"],
  [['--frob'], 'brook: unknown flag --frob'],
  [['help', 'frob'], "brook: unknown command 'frob'"],
  [['run'], 'brook run: missing JOB'],
  [['run', 'job.ts', '--bogus'], 'brook run: unknown flag --bogus'],
  [['run', 'job.ts', 'extra'], "brook run: unexpected argument 'extra'"],
  [['run', 'job.ts', '--parallelism'], 'brook run: --parallelism needs a value'],
  [['run', 'job.ts', '--parallelism', '0'], 'brook run: --parallelism must be a positive integer'],
  [['run', 'job.ts', '--parallelism', 'four'], 'brook run: --parallelism must be a positive integer'],
  [['run', 'job.ts', '--set', 'novalue'], 'brook run: --set takes key=value'],
  [['jobmanager'], 'brook jobmanager: --job is required'],
  [['taskmanager', '--jobmanager', 'nohost'], 'brook taskmanager: --jobmanager must be HOST:PORT'],
  [['savepoint'], 'brook savepoint: missing JOBID'],
  [['savepoint', jobId], 'brook savepoint: --jobmanager must be a URL'],
  [['status', jobId, '--jobmanager', 'localhost'], 'brook status: --jobmanager must be a URL'],
  [['list', jobId, '--jobmanager', 'http://localhost:8081'], "brook list: unexpected argument '" + jobId + "'"],
  [
    ['stop', jobId, '--jobmanager', 'http://localhost:8081', '--target-directory', 'relative/dir'],
    'brook stop: --target-directory must be file:///dir, s3://bucket/prefix or an absolute path',
  ],
  [['cancel', jobId, '--jobmanager', 'http://localhost:8081', '--drain'], 'brook cancel: unknown flag --drain'],
];

for (const [argv, message] of usageMistakes) {
  test(`'brook ${argv.join(' ')}' is a usage error: ${message}`, () => {
    assert.throws(
      () => parseCommandLine(argv),
      (error: unknown) =>
        error instanceof UsageError && error.message.startsWith(message) && !error.message.includes('\n'),
    );
  });
}

test('flags are validated and converted: --parallelism becomes a number, --set repeats', () => {
  const outcome = parseCommandLine(['run', 'job.ts', '--parallelism', '4', '--set', 'a=1', '--set', 'b=x=y']);
  assert.equal(outcome.kind, 'command');
  if (outcome.kind !== 'command') return;
  assert.deepEqual(outcome.parsed.positionals, ['job.ts']);
  assert.deepEqual(outcome.parsed.flags, { parallelism: 4, set: ['a=1', 'b=x=y'] });
});

test('every command has help that lists its flags', () => {
  for (const command of commands) {
    const outcome = parseCommandLine([command.name, '--help']);
    assert.equal(outcome.kind, 'print');
    if (outcome.kind !== 'print') continue;
    assert.match(outcome.text, new RegExp(`^usage: brook ${command.name}`));
    for (const flag of Object.keys(command.flags))
      assert.ok(outcome.text.includes(`--${flag}`), `${command.name} --${flag}`);
  }
});

test('the brook binary prints its version from package.json and exits 0', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const result = brook('--version');
  assert.equal(result.status, 0);
  assert.equal(result.stdout.trim(), `brook ${pkg.version}`);
});

test('the brook binary prints help listing every command and exits 0', () => {
  const result = brook('--help');
  assert.equal(result.status, 0);
  for (const command of commands) assert.match(result.stdout, new RegExp(`^  ${command.name} `, 'm'));
});

test('the brook binary answers a wrong flag with one line on stderr and exit code 2', () => {
  const result = brook('run', 'job.ts', '--paralelism', '2');
  assert.equal(result.status, 2);
  assert.equal(result.stdout, '');
  assert.equal(result.stderr.trimEnd().split('\n').length, 1);
  assert.match(result.stderr, /unknown flag --paralelism/);
});
