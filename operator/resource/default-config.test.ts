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
