// Applies a configuration to a StreamEnvironment: parallelism, state backend,
// checkpointing and its storage, restart strategy; and makes it `env.config`.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StreamEnvironment } from '../api/environment.ts';
import type { S3StorageOptions } from '../checkpoint/storage.ts';
import type { RestartStrategy } from '../recovery/restart-strategy.ts';
import type { Configuration } from './configuration.ts';
import type { RestartStrategyConfig } from './schema.ts';

/** Where checkpoints and savepoints go when the configuration does not say (the environment's own defaults). */
export const defaultCheckpointDir = () => `file://${join(tmpdir(), 'brook-checkpoints')}`;
export const defaultSavepointDir = () => `file://${join(tmpdir(), 'brook-savepoints')}`;

export function s3Options(s3: Configuration['s3']): S3StorageOptions {
  return {
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: s3.pathStyle ?? s3.endpoint !== undefined,
    credentials:
      s3.accessKeyId !== undefined && s3.secretAccessKey !== undefined
        ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }
        : undefined,
    multipartThresholdBytes: s3.multipartThreshold,
    partSizeBytes: s3.partSize,
  };
}

export function toRestartStrategy(config: RestartStrategyConfig): RestartStrategy {
  switch (config.type) {
    case 'none':
      return { kind: 'none' };
    case 'fixed-delay':
      return { kind: 'fixed-delay', attempts: config.attempts, delayMs: config.delay };
    case 'exponential-delay':
      return {
        kind: 'exponential-delay',
        initialBackoffMs: config.initial,
        maxBackoffMs: config.max,
        multiplier: config.multiplier,
        resetBackoffThresholdMs: config.resetAfter,
        jitterFactor: config.jitter,
        attemptsBeforeResetBackoff: config.attempts ?? Number.MAX_SAFE_INTEGER,
      };
    case 'failure-rate':
      return {
        kind: 'failure-rate',
        maxFailuresPerInterval: config.maxFailures,
        failureRateIntervalMs: config.interval,
        delayMs: config.delay,
      };
  }
}

/**
 * Configures `env` from `config` and sets `env.config`. Call before the job's
 * build function, so the job can still override any setting in code.
 *
 * @example
 * applyConfiguration(new StreamEnvironment(), loadConfiguration({ file: 'brook.yaml' }))
 */
export function applyConfiguration(env: StreamEnvironment, config: Configuration): StreamEnvironment {
  const { job, checkpoints, state } = config;
  env.config = config;
  // maxParallelism first: parallelism is checked against it.
  env.setMaxParallelism(job.maxParallelism).setParallelism(job.parallelism);
  env.setAutoWatermarkInterval(job.autoWatermarkInterval);
  env.setStateBackend(state.backend === 'lmdb' ? { kind: 'lmdb', directory: state.lmdb.path } : { kind: 'heap' });
  if (checkpoints.interval !== undefined) {
    env.enableCheckpointing(checkpoints.interval, {
      mode: checkpoints.mode,
      timeoutMs: checkpoints.timeout,
      minPauseMs: checkpoints.minPause,
      tolerableFailures: checkpoints.tolerableFailures,
      retained: checkpoints.retained,
      onCancellation: checkpoints.retainOnCancellation ? 'retain' : 'delete',
    });
  }
  // The S3 options also serve savepoints and restores, so they are set even without a checkpoint dir.
  env.setCheckpointStorage(checkpoints.dir ?? defaultCheckpointDir(), s3Options(config.s3));
  if (config.restartStrategy !== undefined) env.setRestartStrategy(toRestartStrategy(config.restartStrategy));
  return env;
}
