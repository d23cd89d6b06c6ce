// Logs of real `brook` processes: JSON lines on stderr with the job, task,
// operator and subtask; module levels as configured (TaskManagers take the
// JobManager's); no configured secret in any line; failures with their cause
// chain; pretty lines when asked.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { ProcessCluster } from '../testing/process-cluster.ts';
import type { SerializedError } from './error-serializer.ts';
import { parseLogLine, type LogLine } from './fixtures/log-line.ts';

const root = join(import.meta.dirname, '..', '..');
const JOB = join(import.meta.dirname, 'fixtures', 'logging-job.ts');
const PASSWORD = 'Pw-for-the-test-3f9a';
const TOKEN = 'tok-for-the-test-77';
const secrets = [
  ...['kafka.bootstrapServers=127.0.0.1:9', 'kafka.sasl.username=app', `kafka.sasl.password=${PASSWORD}`],
  `user.apiToken=${TOKEN}`,
].flatMap((setting) => ['--set', setting]);

type Line = LogLine;

function brookRun(...args: string[]) {
  return spawnSync(process.execPath, [join(root, 'bin', 'brook.js'), 'run', JOB, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

/** Every line of `stderr` as JSON; fails naming the first line that is not. */
function jsonLines(stderr: string): Line[] {
  return stderr
    .trimEnd()
    .split('\n')
    .map((line) => {
      try {
        return parseLogLine(line);
      } catch {
        assert.fail(`not a JSON line: ${line}\n--- stderr:\n${stderr}`);
      }
    });
}

function assertNoSecret(text: string): void {
  for (const secret of [PASSWORD, TOKEN]) assert.equal(text.includes(secret), false, `${secret} in:\n${text}`);
}

/** The messages of an error and its causes, outermost first. */
function causeChain(err: SerializedError | undefined): string[] {
  const messages: string[] = [];
  for (let e = err; e !== undefined && messages.length < 10; e = e.cause) messages.push(e.message);
  return messages;
}

test('brook run: JSON lines with job, task, operator and subtask; module levels filter; secrets masked', () => {
  const result = brookRun(
    '--parallelism',
    '2',
    ...secrets,
    ...['logging.level=warn', 'logging.modules.job=debug', 'logging.modules.execution=debug'].flatMap((s) => [
      '--set',
      s,
    ]),
    '--',
    'ok',
  );
  assert.equal(result.status, 0, result.stderr);
  const lines = jsonLines(result.stderr);
  const jobId = lines[0]!.jobId as string;
  assert.match(jobId, /^[0-9a-f]{32}$/);
  for (const line of lines) {
    assert.equal(line.jobId, jobId, JSON.stringify(line));
    assert.equal(line.jobName, 'logging-job');
    assert.equal(line.process, 'run');
    // logging.level=warn: the modules not named log nothing below warn (the CLI's info lines are gone).
    assert.ok(['job', 'execution'].includes(line.module ?? '') || ['warn', 'error'].includes(line.level), line.msg);
  }
  const opened = lines.filter((l) => l.msg === 'function opened');
  assert.deepEqual(opened.map((l) => l.subtask).sort(), [0, 1]);
  for (const line of opened) {
    assert.equal(line.module, 'job');
    assert.equal(line.operator, 'logging function');
    assert.equal(line.operatorUid, 'logging-fn');
    assert.equal(typeof line.task, 'string');
    assert.equal(line.taskId, 'logging-fn');
    assert.equal(line.config!.kafka.sasl.password, '***');
    assert.equal(line.config!.kafka.sasl.username, 'app');
    assert.equal(line.config!.user.apiToken, '***');
  }
  assert.equal(lines.filter((l) => l.msg === 'function opened (debug)').length, 2);
  assert.ok(lines.some((l) => l.module === 'execution' && l.level === 'debug' && l.msg === 'task opened'));
  assertNoSecret(result.stderr + result.stdout);
});

test('brook run: without module levels, debug lines stay out and info lines are in', () => {
  const result = brookRun(...secrets, '--', 'ok');
  assert.equal(result.status, 0, result.stderr);
  const lines = jsonLines(result.stderr);
  assert.ok(lines.some((l) => l.module === 'cli' && l.level === 'info' && /running job/.test(l.msg)));
  assert.ok(lines.some((l) => l.msg === 'function opened'));
  assert.equal(
    lines.some((l) => l.level === 'debug'),
    false,
  );
});

test('brook run: a failure is logged with its cause chain and stacks, the secret it quotes masked', () => {
  const result = brookRun(...secrets, '--', 'fail');
  assert.equal(result.status, 1, result.stderr);
  assertNoSecret(result.stderr + result.stdout);
  const failed = jsonLines(result.stderr).find((l) => l.level === 'error' && l.err !== undefined);
  assert.ok(failed, result.stderr);
  const chain = causeChain(failed.err);
  const from = chain.indexOf('could not call the pricing service');
  assert.ok(from >= 0, chain.join('\n'));
  assert.deepEqual(chain.slice(from + 1), ['credentials app/*** refused', 'connect ECONNREFUSED']);
  assert.match(failed.err!.stack!, /\n\s+at /);
  assert.match(failed.err!.cause!.stack!, /\n\s+at /);
});

test('brook run with logging.pretty: readable lines, not JSON, the cause chain below the failure', () => {
  const result = brookRun(...secrets, '--set', 'logging.pretty=true', '--', 'fail');
  assert.equal(result.status, 1, result.stderr);
  assertNoSecret(result.stderr);
  const lines = result.stderr.trimEnd().split('\n');
  for (const line of lines) assert.throws(() => JSON.parse(line), `a JSON line: ${line}`);
  assert.match(lines[0]!, /^\d\d:\d\d:\d\d\.\d{3} INFO {2}\[cli\] logging-job: running job 'logging-job'/);
  assert.match(result.stderr, /\n\d\d:\d\d:\d\d\.\d{3} ERROR \[cli\] logging-job: job 'logging-job' failed: /);
  assert.match(result.stderr, /caused by:\n\s+Error: credentials app\/\*\*\* refused\n\s+at /);
});

test('jobmanager and taskmanagers: process identity on every line; task lines carry the job; TaskManagers apply the job logging settings', async (t) => {
  const cluster = new ProcessCluster();
  t.after(() => cluster.stop());
  const jobManager = await cluster.startJobManager({
    flags: ['--job', JOB, ...secrets],
    settings: ['job.parallelism=2', 'logging.modules.job=debug'],
    jobArgs: ['ok'],
  });
  const taskManagers = [cluster.startTaskManager(), cluster.startTaskManager()];
  const ended = await jobManager.exited;
  assert.equal(ended.code, 0, jobManager.stderr);
  // The debug line is there only if the TaskManager took logging.modules.job from the JobManager.
  for (const tm of taskManagers) await tm.waitFor(/function opened \(debug\)/);
  await Promise.all(taskManagers.map((tm) => tm.kill('SIGTERM')));

  const jmLines = jsonLines(jobManager.stderr);
  const jobId = jmLines.find((l) => l.jobId !== undefined)!.jobId as string;
  for (const line of jmLines) {
    assert.equal(line.process, 'jobmanager');
    assert.equal(line.host, '127.0.0.1');
    assert.match(line.resourceId ?? '', /^jm-/);
    assert.equal(line.jobName, 'logging-job');
  }
  assert.ok(jmLines.filter((l) => l.module !== 'metrics').every((l) => l.jobId === jobId));
  const subtasks: number[] = [];
  for (const tm of taskManagers) {
    const lines = jsonLines(tm.stderr);
    const resourceId = lines[0]!.resourceId as string;
    assert.match(resourceId, /^tm-[0-9a-f]{8}$/);
    for (const line of lines) {
      assert.equal(line.process, 'taskmanager');
      assert.equal(line.resourceId, resourceId);
      assert.equal(line.host, '127.0.0.1');
    }
    const fromFunction = lines.filter((l) => l.module === 'job');
    assert.ok(fromFunction.length >= 2, tm.stderr);
    for (const line of fromFunction) {
      assert.equal(line.jobId, jobId);
      assert.equal(line.jobName, 'logging-job');
      assert.equal(line.operator, 'logging function');
      assert.equal(line.operatorUid, 'logging-fn');
      assert.equal(typeof line.task, 'string');
    }
    subtasks.push(...new Set(fromFunction.map((l) => l.subtask as number)));
  }
  assert.deepEqual(subtasks.sort(), [0, 1]);
  assertNoSecret([jobManager, ...taskManagers].map((p) => p.stderr + p.stdout).join('\n'));
});
