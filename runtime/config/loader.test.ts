// Loading the configuration end to end: profiles deep-merged over the base,
// selected by --env or BROOK_ENV; interpolation; --set; the AWS defaults; the
// operator's Flink-style file; and every problem reported together with its path.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { stringify } from 'yaml';
import { ConfigurationError } from './errors.ts';
import { loadConfiguration, type LoadOptions } from './loader.ts';
import { deepMerge } from './profiles.ts';

const file = `
job:
  name: orders
  parallelism: 2
checkpoints:
  interval: 10s
  dir: file:///var/brook/checkpoints
kafka:
  bootstrapServers: [localhost:9092]
  clientId: orders
restartStrategy:
  type: fixed-delay
  attempts: 3
profiles:
  development:
    checkpoints: { interval: 1s }
  production:
    job: { parallelism: 8 }
    checkpoints:
      dir: s3://prod/checkpoints
    kafka:
      bootstrapServers: [kafka-1:9092, kafka-2:9092]
      sasl: { username: orders, password: '\${KAFKA_PASSWORD}' }
    restartStrategy: { type: exponential-delay, max: 2m }
`;

const load = (options: LoadOptions = {}) => loadConfiguration({ text: file, file: 'brook.yaml', env: {}, ...options });

function problemsOf(options: LoadOptions): string[] {
  try {
    load(options);
  } catch (error) {
    assert.ok(error instanceof ConfigurationError, String(error));
    assert.equal(error.code, 'BROOK_CONFIG_INVALID');
    return error.problems.map((p) => `${p.where}: ${p.message}`);
  }
  assert.fail('the configuration was accepted');
}

test('without a profile the base applies, with defaults for every key it leaves out', () => {
  const config = load();
  assert.equal(config.job.parallelism, 2);
  assert.equal(config.checkpoints.interval, 10_000);
  assert.equal(config.checkpoints.timeout, 600_000, "Flink's default checkpoint timeout");
  assert.deepEqual(config.restartStrategy, { type: 'fixed-delay', attempts: 3, delay: 1000 });
  assert.deepEqual(config.source, { file: 'brook.yaml', profile: undefined });
});

test('the selected profile is deep-merged: its keys win, sibling keys of the base stay, lists are replaced', () => {
  const config = load({ profile: 'production', env: { KAFKA_PASSWORD: 'pw' } });
  assert.equal(config.job.name, 'orders', 'kept from the base');
  assert.equal(config.job.parallelism, 8);
  assert.equal(config.checkpoints.interval, 10_000, 'kept from the base');
  assert.equal(config.checkpoints.dir, 's3://prod/checkpoints');
  assert.deepEqual(config.kafka?.bootstrapServers, ['kafka-1:9092', 'kafka-2:9092']);
  assert.equal(config.kafka?.clientId, 'orders');
  assert.deepEqual(config.kafka?.sasl, { mechanism: 'plain', username: 'orders', password: 'pw' });
  // A different restart strategy type replaces the base's, whose `attempts` belongs to fixed-delay.
  assert.equal(config.restartStrategy?.type, 'exponential-delay');
  assert.equal(config.restartStrategy?.type === 'exponential-delay' && config.restartStrategy.max, 120_000);
});

test('BROOK_ENV selects the profile; --env wins over it', () => {
  assert.equal(load({ env: { BROOK_ENV: 'development' } }).checkpoints.interval, 1000);
  const chosen = load({ env: { BROOK_ENV: 'production', KAFKA_PASSWORD: 'x' }, profile: 'development' });
  assert.equal(chosen.checkpoints.interval, 1000);
  assert.equal(chosen.source.profile, 'development');
});

test('an undefined profile is an error naming the profiles the file defines', () => {
  assert.deepEqual(problemsOf({ profile: 'prod' }), [
    "profiles: profile 'prod' is not defined in brook.yaml (defined: development, production)",
  ]);
});

test('deepMerge merges objects key by key, replaces lists and scalars, and null removes a key', () => {
  assert.deepEqual(deepMerge({ a: { b: 1, c: [1, 2] }, d: 1, e: 2 }, { a: { c: [3] }, d: null, f: 3 }), {
    a: { b: 1, c: [3] },
    e: 2,
    f: 3,
  });
});

test('a missing variable is reported with its path and not again as a missing value', () => {
  assert.deepEqual(problemsOf({ profile: 'production' }), [
    'kafka.sasl.password: environment variable KAFKA_PASSWORD is not set (write ${KAFKA_PASSWORD:default} to give a default)',
  ]);
});

test('--set overrides win over the profile, typed as YAML scalars', () => {
  const config = load({
    profile: 'development',
    overrides: [
      'job.parallelism=5',
      'checkpoints.mode=at-least-once',
      'user.topic=clicks',
      'kafka.bootstrapServers[1]=b:9092',
    ],
  });
  assert.equal(config.job.parallelism, 5);
  assert.equal(config.checkpoints.mode, 'at-least-once');
  assert.deepEqual(config.kafka?.bootstrapServers, ['localhost:9092', 'b:9092']);
  assert.deepEqual(config.user, { topic: 'clicks' });
});

test('every problem is reported together, each with its path: unknown keys, bad values, missing required ones', () => {
  const text = `
job:
  parallelism: 0
  nmae: typo
checkpoints:
  interval: ten
  mode: sometimes
  dir: ftp://elsewhere
kafka:
  clientId: x
redis: {}
logging:
  modules: { checkpoint: loud }
restartStrategy: { type: sometimes }
surprise: 1
`;
  assert.deepEqual(problemsOf({ text, overrides: ['s3.partSize=1mb'] }), [
    'job.parallelism: must be at least 1, got 0',
    'job.nmae: unknown key (did you mean job.name?)',
    'checkpoints.interval: expected a duration like 10s, got "ten"',
    'checkpoints.mode: expected "exactly-once" | "at-least-once", got "sometimes"',
    'checkpoints.dir: expected a file:///path or s3://bucket/prefix URI, got "ftp://elsewhere"',
    'restartStrategy.type: expected "none" | "fixed-delay" | "exponential-delay" | "failure-rate", got "sometimes"',
    's3.partSize: S3 parts must be at least 5mb',
    'kafka.bootstrapServers: is required',
    'redis.url: give either url or host (with port)',
    'logging.modules.checkpoint: expected "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent", got "loud"',
    'surprise: unknown key',
  ]);
});

test('YAML syntax errors name the file, line and column', () => {
  const [problem] = problemsOf({ text: 'job:\n  name: [unclosed\n' });
  assert.match(problem!, /^brook\.yaml:\d+:\d+: /);
});

test('the s3 section defaults to the standard AWS variables; the file wins over them', () => {
  const env = {
    AWS_ENDPOINT_URL: 'http://minio:9000',
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIA',
    AWS_SECRET_ACCESS_KEY: 'shh',
  };
  const fromEnv = loadConfiguration({ env });
  assert.deepEqual(
    { ...fromEnv.s3 },
    {
      endpoint: 'http://minio:9000',
      region: 'eu-west-1',
      accessKeyId: 'AKIA',
      secretAccessKey: 'shh',
      multipartThreshold: 8 * 1024 * 1024,
      partSize: 8 * 1024 * 1024,
    },
  );
  assert.equal(loadConfiguration({ env, text: 's3: { region: us-east-2 }' }).s3.region, 'us-east-2');
});

test("the operator's file (Flink keys, string values) and its --set flags are understood", () => {
  // As operator/children/config-map.ts renders spec.config.
  const text = stringify({
    'execution.checkpointing.interval': '10000',
    'parallelism.default': '3',
    'restart-strategy.type': 'failure-rate',
    'restart-strategy.failure-rate.delay': '5 s',
    'state.checkpoints.dir': 's3://b/chk',
  });
  const config = loadConfiguration({
    text,
    env: {},
    overrides: ['pipeline.job-id=' + 'a'.repeat(32), 'execution.savepoint.path=s3://b/sp/savepoint-1'],
  });
  assert.equal(config.checkpoints.interval, 10_000);
  assert.equal(config.job.parallelism, 3);
  assert.equal(config.job.id, 'a'.repeat(32));
  assert.equal(config.checkpoints.dir, 's3://b/chk');
  assert.equal(config.restore.path, 's3://b/sp/savepoint-1');
  assert.deepEqual(config.restartStrategy, { type: 'failure-rate', maxFailures: 1, interval: 60_000, delay: 5000 });
});

test("the REST API is off unless rest.port is set; Flink's rest.port and rest.bind-address set it", () => {
  assert.deepEqual(loadConfiguration({ env: {} }).rest, {});
  const config = loadConfiguration({
    text: stringify({ 'rest.port': '8081', 'rest.bind-address': '0.0.0.0' }),
    env: {},
  });
  assert.deepEqual(config.rest, { port: 8081, address: '0.0.0.0' });
  assert.equal(loadConfiguration({ env: {}, overrides: ['rest.port=0'] }).rest.port, 0, '0: any free port');
  assert.throws(() => loadConfiguration({ env: {}, overrides: ['rest.port=70000'] }), /rest\.port/);
});

test('empty values mean "not set": defaults apply', () => {
  const config = loadConfiguration({ text: 'job:\n  parallelism:\nkafka:\n', env: {} });
  assert.equal(config.job.parallelism, 1);
  assert.equal(config.kafka, undefined);
});

test('a cross-field rule: parallelism may not exceed maxParallelism', () => {
  assert.deepEqual(problemsOf({ text: 'job: { parallelism: 300 }' }), [
    'job.parallelism: must not exceed job.maxParallelism (128), got 300',
  ]);
});

const dir = mkdtempSync(join(tmpdir(), 'brook-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the file is read from disk; a missing one is a ConfigurationError naming it', () => {
  const path = join(dir, 'brook.yaml');
  writeFileSync(path, file);
  assert.equal(loadConfiguration({ file: path, env: {} }).job.name, 'orders');
  assert.throws(
    () => loadConfiguration({ file: join(dir, 'nope.yaml'), env: {} }),
    (error: unknown) =>
      error instanceof ConfigurationError &&
      /nope\.yaml: cannot read the configuration file: no such file/.test(error.message),
  );
});

test('the configuration is frozen, so a job cannot change what others read', () => {
  const config = load();
  assert.ok(Object.isFrozen(config) && Object.isFrozen(config.job) && Object.isFrozen(config.kafka));
});

test('an unquoted ${VAR} inside a flow mapping is a YAML error that says to quote it', () => {
  const problems = problemsOf({ text: 'kafka: { bootstrapServers: ${BROKERS} }' });
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /quote a reference: '\$\{VAR\}'/);
});
