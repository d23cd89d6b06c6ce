// The configuration keys the operator reads from spec.config: the runtime's
// own (named as in Flink, as `brook run --set` understands them) and the
// operator's settings, which share Flink operator's `kubernetes.operator.` prefix.

/** Runtime keys the operator needs to know about. */
export const runtimeKeys = {
  checkpointsDir: 'state.checkpoints.dir',
  savepointsDir: 'state.savepoints.dir',
  checkpointInterval: 'execution.checkpointing.interval',
  /** Set by the operator on the JobManager: the savepoint or checkpoint to restore. */
  restorePath: 'execution.savepoint.path',
  /** Set by the operator from job.allowNonRestoredState. */
  allowNonRestoredState: 'execution.savepoint.ignore-unclaimed-state',
  /** Set by the operator: the job id, fixed so a restarted JobManager pod finds its own checkpoints. */
  jobId: 'pipeline.job-id',
  /**
   * Set by the operator to false: a JobManager whose job ended stays up and serves the end (and the
   * savepoint path) on REST until the operator deletes it, instead of exiting before it was observed.
   */
  shutdownOnJobEnd: 'execution.shutdown-on-application-finish',
  parallelism: 'parallelism.default',
} as const;

/** Keys only the operator reads; they are left out of the JobManager's configuration and changing them restarts nothing. */
export const operatorKeyPrefix = 'kubernetes.operator.';

export const operatorKeys = {
  rollbackEnabled: 'kubernetes.operator.deployment.rollback.enabled',
  readinessTimeout: 'kubernetes.operator.deployment.readiness.timeout',
  stabilityWindow: 'kubernetes.operator.deployment.stability.window',
  savepointTimeout: 'kubernetes.operator.savepoint.timeout',
  savepointMaxAttempts: 'kubernetes.operator.savepoint.max-attempts',
  upgradeWaitForRunning: 'kubernetes.operator.job.upgrade.wait-for-running',
  periodicSavepointInterval: 'kubernetes.operator.periodic.savepoint.interval',
  savepointHistoryMaxCount: 'kubernetes.operator.savepoint.history.max.count',
  savepointHistoryMaxAge: 'kubernetes.operator.savepoint.history.max.age',
  savepointOnDeletion: 'kubernetes.operator.job.savepoint-on-deletion',
  cancelTimeout: 'kubernetes.operator.job.cancel.timeout',
  restartMaxAttempts: 'kubernetes.operator.job.restart.max-attempts',
  restartBackoffInitial: 'kubernetes.operator.job.restart.backoff.initial',
  restartBackoffMax: 'kubernetes.operator.job.restart.backoff.max',
  restartMaxStateAge: 'kubernetes.operator.job.restart.max-state-age',
  jobManagerCrashLoopRestarts: 'kubernetes.operator.jobmanager.crash-loop.restarts',
  jobManagerCannotStartGracePeriod: 'kubernetes.operator.jobmanager.cannot-start.grace-period',
} as const;

export function isOperatorKey(key: string): boolean {
  return key.startsWith(operatorKeyPrefix);
}
