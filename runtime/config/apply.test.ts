// Applying a configuration to a StreamEnvironment, checked by what the job
// then does: its graph's parallelism, checkpoints in the configured directory,
// and as many restarts as the configured strategy allows.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { StreamEnvironment } from '../api/environment.ts';
import { listCompletedCheckpoints } from '../checkpoint/restore-selection.ts';
import { openCheckpointStorage } from '../checkpoint/storage.ts';
import { applyConfiguration, s3Options, toRestartStrategy } from './apply.ts';
import { loadConfiguration } from './loader.ts';

const dir = mkdtempSync(join(tmpdir(), 'brook-config-apply-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const configured = (text: string, overrides: string[] = []) =>
  applyConfiguration(new StreamEnvironment(), loadConfiguration({ text, overrides, env: {} }));

test('job settings reach the environment and its job graph; env.config is the configuration', () => {
  const env = configured(
    'job: { parallelism: 3, maxParallelism: 64, autoWatermarkInterval: 1s }\nstate: { backend: lmdb, lmdb: { path: /var/lib/brook } }',
  );
  env
    .fromGenerator({ count: 10, generate: (i) => i })
    .map((i) => i + 1)
    .uid('plus-one')
    .print();
  const graph = env.getJobGraph('t');
  assert.equal(graph.maxParallelism, 64);
  assert.ok(graph.nodes.some((n) => n.parallelism === 3));
  assert.equal(env.settings.autoWatermarkIntervalMs, 1000);
  assert.deepEqual(env.settings.stateBackend, { kind: 'lmdb', directory: '/var/lib/brook' });
  assert.equal(env.config.job.parallelism, 3);
});

test('with checkpoints.interval and dir set, the job writes completed checkpoints there', async () => {
  const uri = `file://${dir}/checkpoints`;
  const env = configured(`checkpoints: { interval: 20ms, dir: '${uri}', retained: 2 }`);
  env
    .fromGenerator({ count: 3000, generate: (i) => i, recordsPerSecond: 10_000 })
    .keyBy((i) => i % 4)
    .reduce((a, b) => a + b)
    .uid('sums')
    .sinkTo({ createWriter: () => ({ write() {} }) });
  await env.execute('apply-checkpoints', { jobId: 'apply-job' });
  const completed = await listCompletedCheckpoints(await openCheckpointStorage(uri), 'apply-job');
  assert.ok(completed.length >= 1 && completed.length <= 2, `completed: ${completed.join(',')}`);
});

async function restartsOf(text: string): Promise<number> {
  const env = configured(text);
  env
    .fromCollection([1])
    .map((): number => {
      throw new Error('always fails');
    })
    .uid('fail')
    .print();
  let restarts = 0;
  await assert.rejects(env.execute('restarts', { onRestart: () => restarts++ }));
  return restarts;
}

test('the configured restart strategy decides how often a failing job restarts', async () => {
  assert.equal(await restartsOf('restartStrategy: { type: fixed-delay, attempts: 2, delay: 5ms }'), 2);
  assert.equal(await restartsOf('restartStrategy: { type: none }'), 0);
  assert.equal(await restartsOf('{}'), 0, 'without checkpointing the default is none, as in Flink');
});

test('restart strategies and S3 options translate field by field', () => {
  assert.deepEqual(
    toRestartStrategy({ type: 'exponential-delay', initial: 1, max: 2, multiplier: 3, resetAfter: 4, jitter: 0.5 }),
    {
      kind: 'exponential-delay',
      initialBackoffMs: 1,
      maxBackoffMs: 2,
      multiplier: 3,
      resetBackoffThresholdMs: 4,
      jitterFactor: 0.5,
      attemptsBeforeResetBackoff: Number.MAX_SAFE_INTEGER,
    },
  );
  assert.deepEqual(toRestartStrategy({ type: 'failure-rate', maxFailures: 3, interval: 60_000, delay: 10 }), {
    kind: 'failure-rate',
    maxFailuresPerInterval: 3,
    failureRateIntervalMs: 60_000,
    delayMs: 10,
  });
  const s3 = loadConfiguration({
    env: {},
    text: 's3: { endpoint: http://minio:9000, accessKeyId: a, secretAccessKey: b }',
  }).s3;
  assert.deepEqual(s3Options(s3), {
    endpoint: 'http://minio:9000',
    region: undefined,
    forcePathStyle: true,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    multipartThresholdBytes: 8 * 1024 * 1024,
    partSizeBytes: 8 * 1024 * 1024,
  });
});
