// Parsing StreamDeployments and StreamSnapshots: defaults a Flink user expects,
// and refusals whose messages name the field, as the CRD's rules do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStreamDeployment } from './stream-deployment.ts';
import { parseStreamSnapshot } from './stream-snapshot.ts';
import { ResourceInvalidError, OperatorSettingInvalidError } from './errors.ts';
import { readOperatorSettings, defaultOperatorSettings } from './operator-settings.ts';
import { parseDuration } from './duration.ts';

const resource = (spec: Record<string, unknown>) => ({
  apiVersion: 'brook.dev/v1beta1',
  kind: 'StreamDeployment',
  metadata: { name: 'orders' },
  spec: { image: 'brook:1', job: { entry: 'job.ts' }, ...spec },
});

test('a minimal StreamDeployment gets the defaults', () => {
  const { spec } = parseStreamDeployment(resource({}));
  assert.deepEqual(spec.jobManager, { replicas: 1, resource: { cpu: 1, memory: '1Gi' } });
  assert.deepEqual(spec.taskManager, { replicas: 1, resource: { cpu: 1, memory: '1Gi' } });
  assert.deepEqual(spec.config, {});
  assert.deepEqual(spec.job, {
    entry: 'job.ts',
    args: [],
    upgradeMode: 'stateless',
    state: 'running',
    allowNonRestoredState: false,
    restartPolicy: 'Never',
  });
});

const refusals: [string, Record<string, unknown>, RegExp][] = [
  [
    'savepoint mode without a savepoint directory',
    { job: { entry: 'j', upgradeMode: 'savepoint' } },
    /spec\.job\.upgradeMode savepoint needs spec\.config\["state\.savepoints\.dir"\]/,
  ],
  [
    'last-state mode without a checkpoint directory',
    { job: { entry: 'j', upgradeMode: 'last-state' } },
    /spec\.job\.upgradeMode last-state needs spec\.config\["state\.checkpoints\.dir"\]/,
  ],
  ['zero TaskManagers', { taskManager: { replicas: 0 } }, /spec\.taskManager\.replicas must be at least 1/],
  ['two JobManagers', { jobManager: { replicas: 2 } }, /spec\.jobManager\.replicas must be 1/],
  ['parallelism 0', { job: { entry: 'j', parallelism: 0 } }, /spec\.job\.parallelism must be at least 1/],
  [
    'parallelism above the TaskManager count',
    { job: { entry: 'j', parallelism: 4 } },
    /spec\.job\.parallelism must not exceed spec\.taskManager\.replicas/,
  ],
  [
    'an initialSavepointPath that is not a URI',
    { job: { entry: 'j', initialSavepointPath: '/tmp/sp' } },
    /spec\.job\.initialSavepointPath must be a file:\/\/\/path or s3:\/\//,
  ],
  [
    'a savepoint directory that is not a URI',
    { config: { 'state.savepoints.dir': 'savepoints' } },
    /spec\.config\["state\.savepoints\.dir"\] must be a file:\/\/\/path/,
  ],
  [
    'a manual savepoint nonce without a savepoint directory',
    { job: { entry: 'j', savepointTriggerNonce: 1 } },
    /savepointTriggerNonce needs/,
  ],
  [
    'a malformed operator duration',
    { config: { 'kubernetes.operator.savepoint.timeout': 'soon' } },
    /spec\.config\["kubernetes\.operator\.savepoint\.timeout"\] must be a duration/,
  ],
  ['an unknown upgrade mode', { job: { entry: 'j', upgradeMode: 'hot' } }, /spec\.job\.upgradeMode/],
  ['no image', { image: '' }, /spec\.image/],
];
for (const [what, spec, message] of refusals) {
  test(`refused: ${what}`, () => {
    assert.throws(
      () => parseStreamDeployment(resource(spec)),
      (e: unknown) =>
        e instanceof ResourceInvalidError && e.code === 'BROOK_RESOURCE_INVALID' && message.test(e.message),
    );
  });
}

test('operator settings are read with their defaults, durations in Flink style', () => {
  assert.deepEqual(readOperatorSettings({}), defaultOperatorSettings);
  const s = readOperatorSettings({
    'kubernetes.operator.deployment.rollback.enabled': 'true',
    'kubernetes.operator.deployment.readiness.timeout': '2 min',
  });
  assert.equal(s.rollbackEnabled, true);
  assert.equal(s.readinessTimeoutMs, 120_000);
  assert.throws(
    () => readOperatorSettings({ 'kubernetes.operator.job.restart.max-attempts': 'many' }),
    OperatorSettingInvalidError,
  );
  assert.deepEqual(
    ['90s', '5 min', '1h', '2d', '250'].map(parseDuration),
    [90_000, 300_000, 3_600_000, 172_800_000, 250],
  );
  assert.equal(parseDuration('5 fortnights'), undefined);
});

test('a StreamSnapshot needs a path when it records an existing savepoint', () => {
  const snapshot = (spec: Record<string, unknown>) => ({
    apiVersion: 'brook.dev/v1beta1',
    kind: 'StreamSnapshot',
    metadata: { name: 's' },
    spec,
  });
  assert.equal(parseStreamSnapshot(snapshot({ deploymentName: 'orders' })).spec.triggerType, 'manual');
  assert.throws(
    () => parseStreamSnapshot(snapshot({ deploymentName: 'orders', alreadyExists: true })),
    /spec\.path is required/,
  );
  assert.throws(
    () => parseStreamSnapshot(snapshot({ deploymentName: 'orders', path: 'nowhere' })),
    /spec\.path must be a file:\/\/\/path/,
  );
});
