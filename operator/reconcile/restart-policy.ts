// What happens when the job ends FAILED (the runtime's restart strategy gave
// up): job.restartPolicy decides, with exponential backoff between attempts, a
// limit, and a maximum age of the state restarted from, all visible in status.
// A JobManager that keeps failing at start is a FAILED job too (crash-loop.ts).
import { event, jobStatusOf, nothing, setError, type Context, type Step } from './context.ts';
import { startOperation } from './operation.ts';
import { knownSavepoints } from './savepoints.ts';
import { failedJobReason } from './crash-loop.ts';

export function backoffMs(ctx: Context, attempts: number): number {
  const { restartBackoffInitialMs: initial, restartBackoffMaxMs: max } = ctx.settings;
  return Math.min(max, initial * 2 ** Math.min(attempts, 30));
}

/** A step for a FAILED job; undefined when the job has not failed. */
export function handleFailedJob(ctx: Context, name: string): Step | undefined {
  const job = jobStatusOf(ctx);
  if (job.state !== 'FAILED') return undefined;
  const policy = ctx.spec.job.restartPolicy;
  const failure = job.failureCause ?? 'the JobManager reported no cause';
  const failed = `job ${job.jobId} FAILED: ${failure}`;
  const reason = failedJobReason(ctx);
  if (policy === 'Never') {
    fail(ctx, reason, `${failed}. restartPolicy is Never: change the spec or spec.restartNonce to deploy it again`);
    return nothing();
  }
  const restarts = (job.failureRestarts ??= { attempts: 0 });
  if (restarts.attempts >= ctx.settings.restartMaxAttempts) {
    fail(
      ctx,
      'RestartLimitReached',
      `${failed}. Gave up after ${restarts.attempts} restarts by restartPolicy ${policy}; change the spec or spec.restartNonce to try again`,
    );
    return nothing();
  }
  restarts.nextAttemptAt ??= ctx.now + backoffMs(ctx, restarts.attempts);
  const at = new Date(restarts.nextAttemptAt).toISOString();
  fail(
    ctx,
    reason,
    `${failed}. Restart ${restarts.attempts + 1} of ${ctx.settings.restartMaxAttempts} by ${policy} at ${at}`,
  );
  if (ctx.now < restarts.nextAttemptAt) return nothing(restarts.nextAttemptAt - ctx.now);

  const savepoints = knownSavepoints(ctx);
  if (policy === 'FromSavepointOnFailure') {
    const savepoint = savepoints.at(-1);
    if (!savepoint) {
      fail(
        ctx,
        'NoStateToRestart',
        `${failed}. restartPolicy FromSavepointOnFailure, but no savepoint was ever taken of this deployment`,
      );
      return nothing();
    }
    begin(ctx, restarts);
    return startOperation(ctx, name, 'restart', 'savepoint', {
      restore: { path: savepoint.path, source: 'savepoint', fromJobId: savepoint.jobId, recordedAt: ctx.now },
    });
  }
  const checkpoint = job.checkpointInfo?.lastCheckpoint;
  const savepoint = savepoints.filter((s) => s.jobId === job.jobId).at(-1);
  const newest = Math.max(
    checkpoint && checkpoint.jobId === job.jobId ? checkpoint.timestamp : -Infinity,
    savepoint ? savepoint.timestamp : -Infinity,
  );
  const maxAge = ctx.settings.restartMaxStateAgeMs;
  if (maxAge !== undefined && (newest === -Infinity || ctx.now - newest > maxAge)) {
    const age =
      newest === -Infinity
        ? 'no checkpoint or savepoint of it is known'
        : `its newest state is ${Math.round((ctx.now - newest) / 1000)}s old`;
    fail(
      ctx,
      'StateTooOld',
      `${failed}. Not restarted: ${age}, beyond ${Math.round(maxAge / 1000)}s (kubernetes.operator.job.restart.max-state-age)`,
    );
    return nothing();
  }
  begin(ctx, restarts);
  return startOperation(ctx, name, 'restart', 'last-state');
}

function begin(ctx: Context, restarts: { attempts: number; lastAttemptAt?: number; nextAttemptAt?: number }): void {
  restarts.attempts += 1;
  restarts.lastAttemptAt = ctx.now;
  delete restarts.nextAttemptAt;
  event(
    ctx,
    'Normal',
    'Restart',
    `restarting the failed job (attempt ${restarts.attempts} of ${ctx.settings.restartMaxAttempts}) by restartPolicy ${ctx.spec.job.restartPolicy}`,
  );
}

function fail(ctx: Context, reason: string, message: string): void {
  const fresh = ctx.previousError?.reason !== reason || ctx.previousError.message !== message;
  setError(ctx, reason, message);
  if (fresh) event(ctx, 'Warning', failedJobReason(ctx), message);
}
