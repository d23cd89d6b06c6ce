import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DefaultConfigInvalidError, parseDefaultConfig, withDefaultConfig } from './default-config.ts';
import { parseStreamDeployment } from './stream-deployment.ts';

const spec = parseStreamDeployment({
  apiVersion: 'brook.dev/v1beta1',
  kind: 'StreamDeployment',
  metadata: { name: 'counts', namespace: 'streaming', uid: 'u1', generation: 1 },
  spec: {
    image: 'brook:1',
    job: { entry: '/opt/brook/examples/wordcount/job.ts' },
    config: { 'execution.checkpointing.interval': '5s' },
  },
}).spec;

test("the defaults go under the resource's own configuration: a key the resource sets wins", () => {
  const merged = withDefaultConfig(spec, {
    'execution.checkpointing.interval': '1 min',
    'state.checkpoints.dir': 's3://platform/checkpoints',
  });
  assert.deepEqual(merged.config, {
    'execution.checkpointing.interval': '5s',
    'state.checkpoints.dir': 's3://platform/checkpoints',
  });
  assert.deepEqual(spec.config, { 'execution.checkpointing.interval': '5s' }, 'the resource is not changed');
  assert.equal(withDefaultConfig(spec, {}), spec, 'no defaults: the very same spec');
});

test('a default configuration file is a flat YAML map; numbers and booleans are taken as their text', () => {
  const text = [
    'state.checkpoints.dir: s3://platform/checkpoints',
    'parallelism.default: 4',
    'kubernetes.operator.deployment.rollback.enabled: true',
    'kubernetes.operator.savepoint.history.max.count: 3',
  ].join('\n');
  assert.deepEqual(parseDefaultConfig(text, 'defaults.yaml'), {
    'state.checkpoints.dir': 's3://platform/checkpoints',
    'parallelism.default': '4',
    'kubernetes.operator.deployment.rollback.enabled': 'true',
    'kubernetes.operator.savepoint.history.max.count': '3',
  });
  assert.deepEqual(parseDefaultConfig('', 'empty.yaml'), {}, 'an empty file: no defaults');
  assert.deepEqual(parseDefaultConfig('{}\n', 'helm.yaml'), {}, "helm's rendering of an empty map");
});

test('a bad default configuration is refused with the file and the key named', () => {
  const refused = (text: string, message: RegExp) =>
    assert.throws(
      () => parseDefaultConfig(text, '/etc/brook/defaults.yaml'),
      (error: unknown) => error instanceof DefaultConfigInvalidError && message.test(error.message),
    );
  refused('state: {checkpoints: {dir: s3://x}}', /defaults\.yaml: "state" must be a single value \(write keys flat/);
  refused('- a\n- b\n', /defaults\.yaml: must be a map of configuration keys/);
  refused('a: [1\n', /defaults\.yaml: not YAML/);
  refused(
    'kubernetes.operator.savepoint.history.max.count: many',
    /defaults\.yaml: "kubernetes\.operator\.savepoint\.history\.max\.count" must be a whole number, got 'many'/,
  );
});

test('a runtime key among the defaults is checked as the runtime will read it: a bad storage URI, an unknown key, an ill-typed value', () => {
  const refused = (text: string, message: RegExp) =>
    assert.throws(
      () => parseDefaultConfig(text, '/etc/brook/defaults.yaml'),
      (error: unknown) =>
        error instanceof DefaultConfigInvalidError &&
        error.code === 'BROOK_OPERATOR_DEFAULT_CONFIG_INVALID' &&
        message.test(error.message),
      text,
    );
  // The resource's own rule for storage directories.
  refused(
    'state.checkpoints.dir: not-a-uri',
    /defaults\.yaml: "state\.checkpoints\.dir" must be a file:\/\/\/path or s3:\/\/bucket\/prefix URI, got 'not-a-uri'/,
  );
  refused('state.savepoints.dir: /data/savepoints', /"state\.savepoints\.dir" must be a file:\/\/\/path/);
  // The runtime's schema: keys it does not know, values of the wrong kind.
  refused('state.checkpoint.dir: s3://platform/checkpoints', /"state\.checkpoint\.dir": unknown key/);
  refused('execution.checkpointing.intervall: 30s', /"execution\.checkpointing\.intervall": unknown key/);
  refused('execution.checkpointing.interval: often', /"execution\.checkpointing\.interval": expected a duration/);
  refused('execution.checkpointing.mode: sometimes', /"execution\.checkpointing\.mode": expected "exactly-once"/);
  refused('restart-strategy.type: forever', /"restart-strategy\.type": expected "none" \| "fixed-delay"/);
  refused('s3.endpoint: minio', /"s3\.endpoint": expected a URL, got "minio"/);
  refused(
    'kafka.bootstrapServers: "broker:9092,broker"',
    /"kafka\.bootstrapServers": kafka\.bootstrapServers\[1\]: expected HOST:PORT/,
  );
  // Every problem is named at once.
  refused(
    'execution.checkpointing.interval: often\nfoo: bar',
    /"execution\.checkpointing\.interval": expected a duration.*; "foo": unknown key/,
  );
});

test('runtime defaults that only other layers complete are accepted: the resource, the pod environment and ${VAR} may add the rest', () => {
  const text = [
    'state.checkpoints.dir: s3://platform/checkpoints',
    'execution.checkpointing.interval: 30s',
    'execution.checkpointing.mode: EXACTLY_ONCE',
    'state.backend.type: hashmap',
    // The resource names the strategy; its attempts come from here.
    'restart-strategy.fixed-delay.attempts: 5',
    // The pods get the secret access key (and the cluster secret) from their environment.
    's3.access-key: platform',
    'cluster.encryption: true',
    // The resource gives the brokers.
    'kafka.clientId: platform',
    // Interpolated in the pod, where the variable is set.
    "s3.endpoint: '${S3_ENDPOINT}'",
    'user.team: streaming',
    'kubernetes.operator.job.cancel.timeout: 2 min',
  ].join('\n');
  const config = parseDefaultConfig(text, 'defaults.yaml');
  assert.equal(config['s3.endpoint'], '${S3_ENDPOINT}');
  assert.equal(Object.keys(config).length, 11);
});
