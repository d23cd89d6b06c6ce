// `brook operator`'s flags: validated with messages naming the flag, and
// turned into the controller's options together with the pod's environment;
// a bad default configuration file stops the operator at start.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { operatorFlagsSchema, operatorOptions } from './operator-command.ts';

const log = pino({ level: 'silent' });
const root = join(import.meta.dirname, '..');

test('defaults: all namespaces, metrics on 8080, no leader election outside a pod, the JobManager Service', () => {
  const options = operatorOptions(operatorFlagsSchema.parse({}), {}, log);
  assert.equal(options.namespaces, undefined);
  assert.equal(options.metricsPort, 8080);
  assert.equal(options.metricsHost, undefined);
  assert.equal(options.leaderElection, false);
  assert.equal(options.jobManagerUrl?.('streaming', 'orders'), 'http://orders-jobmanager.streaming.svc:8081');
  assert.deepEqual(options.s3, {});
});

test('in a pod: leader election in its namespace, its name as identity, metrics on its IP, S3 endpoint from the environment', () => {
  const flags = operatorFlagsSchema.parse({
    namespaces: 'streaming, batch',
    'lease-duration': '6s',
    'jobmanager-url': 'http://127.0.0.1:{namespace}-{name}',
    'resync-period': '5 min',
    workers: '4',
  });
  const options = operatorOptions(
    flags,
    {
      POD_NAMESPACE: 'brook-system',
      POD_NAME: 'brook-operator-0',
      POD_IP: '10.1.2.3',
      AWS_ENDPOINT_URL_S3: 'http://minio:9000',
    },
    log,
  );
  assert.deepEqual(options.namespaces, ['streaming', 'batch']);
  assert.deepEqual(options.leaderElection, {
    namespace: 'brook-system',
    leaseName: 'brook-operator',
    leaseDurationMs: 6000,
    renewDeadlineMs: 4000,
    retryPeriodMs: 1200,
  });
  assert.equal(options.identity, 'brook-operator-0');
  assert.equal(options.metricsHost, '10.1.2.3');
  assert.equal(options.resyncPeriodMs, 300_000);
  assert.equal(options.workers, 4);
  assert.equal(options.jobManagerUrl?.('ns', 'job'), 'http://127.0.0.1:ns-job');
  assert.deepEqual(options.s3, { endpoint: 'http://minio:9000', forcePathStyle: true });
});

test('bad flags are refused with a message naming the flag', () => {
  const refusals: [Record<string, string>, RegExp][] = [
    [{ 'metrics-port': 'eighty' }, /--metrics-port must be a port number/],
    [{ 'resync-period': 'often' }, /--resync-period must be a duration/],
    [{ 'lease-duration': '1s' }, /--lease-duration must be at least 2s/],
    [{ namespaces: 'Not_A_Namespace' }, /--namespaces takes namespace names/],
    [{ 'jobmanager-url': 'jobmanager:8081' }, /--jobmanager-url must start with http/],
    [{ workers: '0' }, /--workers must be a positive integer/],
  ];
  for (const [flags, message] of refusals) {
    const result = operatorFlagsSchema.safeParse(flags);
    assert.equal(result.success, false, JSON.stringify(flags));
    assert.match(result.error.issues.map((i) => i.message).join('; '), message);
  }
});

test('log flags: --log-level and repeatable --log-module MODULE=LEVEL, refused by name when wrong', () => {
  const flags = operatorFlagsSchema.parse({
    'log-level': 'warn',
    'log-module': ['operator.reconcile=debug', 'operator.informer=error'],
    'log-pretty': true,
  });
  assert.equal(flags['log-level'], 'warn');
  assert.deepEqual(flags['log-module'], { 'operator.reconcile': 'debug', 'operator.informer': 'error' });
  assert.equal(flags['log-pretty'], true);
  assert.match(
    operatorFlagsSchema.safeParse({ 'log-level': 'loud' }).error?.issues[0]?.message ?? '',
    /^--log-level must be one of trace, debug/,
  );
  assert.match(
    operatorFlagsSchema.safeParse({ 'log-module': ['operator.reconcile:debug'] }).error?.issues[0]?.message ?? '',
    /^--log-module takes MODULE=LEVEL/,
  );
});

test('brook operator stops at start, naming the file and key, when its default configuration is bad', () => {
  const dir = mkdtempSync(join(tmpdir(), 'brook-operator-defaults-'));
  try {
    const file = join(dir, 'defaults.yaml');
    writeFileSync(file, 'kubernetes.operator.job.restart.max-attempts: lots\n');
    const operator = (args: string[]) =>
      spawnSync(process.execPath, [join(root, 'bin', 'brook.js'), 'operator', ...args], {
        encoding: 'utf8',
        timeout: 60_000,
        // No cluster is needed: the defaults are read before anything else.
        env: { PATH: process.env.PATH, KUBECONFIG: join(dir, 'no-kubeconfig') },
      });
    const bad = operator(['--default-config', file]);
    assert.equal(bad.status, 1, bad.stderr);
    assert.match(
      fatalMessage(bad.stderr),
      /default configuration .*defaults\.yaml: "kubernetes\.operator\.job\.restart\.max-attempts" must be a whole number, got 'lots'/,
    );
    const missing = operator(['--default-config', join(dir, 'absent.yaml')]);
    assert.equal(missing.status, 1, missing.stderr);
    assert.match(fatalMessage(missing.stderr), /default configuration .*absent\.yaml: cannot be read \(ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The message of the operator's fatal log line (log lines are JSON on stderr). */
function fatalMessage(stderr: string): string {
  const line = stderr.split('\n').find((l) => l.includes('"level":"fatal"'));
  assert.ok(line, stderr);
  return (JSON.parse(line) as { msg: string }).msg;
}
