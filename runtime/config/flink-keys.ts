// Flink's configuration keys, accepted as aliases of Brook's paths: the
// operator renders spec.config (a Flink-style string map) into the file and
// passes --set pipeline.job-id=..., and Flink users write these keys by habit.

/** Flink key → Brook path. Both Flink 1.x and 2.x names where they differ. */
export const flinkKeys: Readonly<Record<string, string>> = {
  'pipeline.name': 'job.name',
  'pipeline.job-id': 'job.id',
  'parallelism.default': 'job.parallelism',
  'pipeline.max-parallelism': 'job.maxParallelism',
  'pipeline.auto-watermark-interval': 'job.autoWatermarkInterval',
  'execution.checkpointing.interval': 'checkpoints.interval',
  'execution.checkpointing.mode': 'checkpoints.mode',
  'execution.checkpointing.timeout': 'checkpoints.timeout',
  'execution.checkpointing.min-pause': 'checkpoints.minPause',
  'execution.checkpointing.tolerable-failed-checkpoints': 'checkpoints.tolerableFailures',
  'state.checkpoints.num-retained': 'checkpoints.retained',
  'execution.checkpointing.num-retained': 'checkpoints.retained',
  'state.checkpoints.dir': 'checkpoints.dir',
  'execution.checkpointing.dir': 'checkpoints.dir',
  'state.savepoints.dir': 'savepoints.dir',
  'execution.checkpointing.savepoint-dir': 'savepoints.dir',
  'execution.savepoint.path': 'restore.path',
  'execution.state-recovery.path': 'restore.path',
  'execution.savepoint.ignore-unclaimed-state': 'restore.allowNonRestoredState',
  'execution.state-recovery.ignore-unclaimed-state': 'restore.allowNonRestoredState',
  'state.backend.type': 'state.backend',
  'restart-strategy.type': 'restartStrategy.type',
  'restart-strategy.fixed-delay.attempts': 'restartStrategy.attempts',
  'restart-strategy.fixed-delay.delay': 'restartStrategy.delay',
  'restart-strategy.exponential-delay.initial-backoff': 'restartStrategy.initial',
  'restart-strategy.exponential-delay.max-backoff': 'restartStrategy.max',
  'restart-strategy.exponential-delay.backoff-multiplier': 'restartStrategy.multiplier',
  'restart-strategy.exponential-delay.reset-backoff-threshold': 'restartStrategy.resetAfter',
  'restart-strategy.exponential-delay.jitter-factor': 'restartStrategy.jitter',
  'restart-strategy.exponential-delay.attempts-before-reset-backoff': 'restartStrategy.attempts',
  'restart-strategy.failure-rate.max-failures-per-interval': 'restartStrategy.maxFailures',
  'restart-strategy.failure-rate.failure-rate-interval': 'restartStrategy.interval',
  'restart-strategy.failure-rate.delay': 'restartStrategy.delay',
  's3.endpoint': 's3.endpoint',
  's3.path.style.access': 's3.pathStyle',
  's3.access-key': 's3.accessKeyId',
  's3.secret-key': 's3.secretAccessKey',
  'metrics.reporter.prom.port': 'metrics.port',
  'jobmanager.rpc.port': 'cluster.controlPort',
  'taskmanager.data.port': 'cluster.dataPort',
  'heartbeat.interval': 'cluster.heartbeatInterval',
  'heartbeat.timeout': 'cluster.heartbeatTimeout',
  'execution.shutdown-on-application-finish': 'cluster.shutdownOnJobEnd',
  'rest.port': 'rest.port',
  'rest.bind-address': 'rest.address',
};

/** Flink writes modes in capitals (EXACTLY_ONCE); Brook's values are lower-case with dashes. */
const flinkValues: Readonly<Record<string, (value: unknown) => unknown>> = {
  'checkpoints.mode': (v) => (typeof v === 'string' ? v.toLowerCase().replaceAll('_', '-') : v),
  'state.backend': (v) => (v === 'hashmap' ? 'heap' : v),
};

/** The Brook key for `key`, and the value as Brook reads it. */
export function fromFlinkKey(key: string, value: unknown): { key: string; value: unknown } {
  const brookKey = flinkKeys[key];
  if (brookKey === undefined) return { key, value };
  return { key: brookKey, value: flinkValues[brookKey]?.(value) ?? value };
}
