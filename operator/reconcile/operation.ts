// Operations that take the running job down while keeping its state:
// upgrade, suspend, restart, rollback and delete. Each phase is recorded before
// its action, and the state to restore is recorded before anything is deployed
// from it, so a restarted operator picks up at the recorded phase.
import type { Operation, OperationKind, RestoreRecord, JobState } from '../resource/stream-deployment-status.ts';
import type { UpgradeMode } from '../resource/stream-deployment-spec.ts';
import { specHash } from '../children/deployment-hash.ts';
import {
  act,
  event,
  jobStatusOf,
  nothing,
  PROGRESS_REQUEUE_MS,
  reconciliationOf,
  setError,
  STOP_POLL_MS,
  type Context,
  type Step,
} from './context.ts';
import { triggerIdFor } from './ids.ts';
import { chooseLatestState } from './restore-choice.ts';
import { knownSavepoints, recordSavepoint, savepointsDir } from './savepoints.ts';
import { deployNew, lastStableSpec } from './deploy.ts';

const notRunning: ReadonlySet<JobState | undefined> = new Set([
  'FAILED',
  'FINISHED',
  'CANCELED',
  'SUSPENDED',
  'FAILING',
  'RESTARTING',
]);

/** The job has ended (or is ending for good): no savepoint will come from it. */
const terminal: ReadonlySet<JobState | undefined> = new Set([
  'FAILED',
  'FINISHED',
  'CANCELED',
  'CANCELLING',
  'SUSPENDED',
]);

/**
 * Between states: restarting after a task failure, starting, or not answering while its JobManager
 * Deployment is there. It may run again, so a savepoint is waited for (bounded), as the Flink operator does.
 */
const transient: ReadonlySet<JobState | undefined> = new Set([
  'RESTARTING',
  'FAILING',
  'INITIALIZING',
  'CREATED',
  'RECONCILING',
]);

export interface StartOptions {
  /** The state to restore, when it is known before the job is taken down. */
  restore?: RestoreRecord;
  note?: string;
}

/** Records a new operation and takes its first step. */
export function startOperation(
  ctx: Context,
  name: string,
  kind: OperationKind,
  mode: UpgradeMode,
  options: StartOptions = {},
): Step {
  const job = jobStatusOf(ctx);
  const op: Operation = {
    kind,
    mode,
    phase: 'TEARING_DOWN',
    generation: ctx.observation.generation,
    startedAt: ctx.now,
    phaseSince: ctx.now,
    ...(job.jobId !== undefined ? { fromJobId: job.jobId } : {}),
    ...(options.restore ? { restore: options.restore } : {}),
    ...(options.note !== undefined ? { note: options.note } : {}),
  };
  const running = job.state === 'RUNNING' && ctx.observation.jobManager.exists;
  if (mode === 'savepoint' && !options.restore) {
    if (running) beginSavepoint(ctx, op, 1);
    else if (isTransient(ctx)) moveTo(ctx, op, 'WAITING_FOR_JOB');
    else fallBackToLatestState(ctx, op, `job is ${job.state ?? 'not known'}, so no savepoint can be taken`);
  } else if ((mode === 'stateless' || options.restore) && running) {
    op.phase = 'CANCELLING';
  }
  if (kind === 'delete' && op.phase === 'TEARING_DOWN') op.phase = 'CANCELLING';
  const r = reconciliationOf(ctx);
  r.operation = op;
  r.state = kind === 'rollback' ? 'ROLLING_BACK' : kind === 'delete' ? r.state : 'UPGRADING';
  return advanceOperation(ctx, name) ?? nothing(PROGRESS_REQUEUE_MS);
}

/** The current job is between states and its JobManager Deployment is there: it may run again. */
function isTransient(ctx: Context): boolean {
  return ctx.observation.jobManager.exists && transient.has(jobStatusOf(ctx).state);
}

function beginSavepoint(ctx: Context, op: Operation, attempt: number): void {
  op.phase = 'SAVEPOINTING';
  op.phaseSince = ctx.now;
  op.savepoint = {
    triggerId: triggerIdFor(op.fromJobId ?? '', `${op.kind}-${op.generation}`, attempt),
    triggeredAt: ctx.now,
    attempt,
  };
}

/** No savepoint possible: resume from the newest state the job left (the Flink operator's last-state fallback). */
function fallBackToLatestState(ctx: Context, op: Operation, why: string): void {
  op.mode = 'last-state';
  op.phase = op.kind === 'delete' ? 'CANCELLING' : 'TEARING_DOWN';
  op.phaseSince = ctx.now;
  delete op.savepoint;
  op.note = `${why}; resuming from the latest checkpoint or savepoint instead`;
  event(ctx, 'Warning', 'SavepointError', op.note);
}

/** Takes the next step of the operation in flight; undefined when there is none any more. */
export function advanceOperation(ctx: Context, name: string): Step | undefined {
  const op = ctx.status.reconciliationStatus?.operation;
  if (!op) return undefined;
  switch (op.phase) {
    case 'WAITING_FOR_JOB':
      return waitingForJob(ctx, name, op);
    case 'SAVEPOINTING':
      return savepointing(ctx, name, op);
    case 'CANCELLING':
      return cancelling(ctx, name, op);
    case 'TEARING_DOWN':
      return tearingDown(ctx, name, op);
    case 'LOCATING_CHECKPOINT':
      return locatingCheckpoint(ctx, name, op);
    case 'BLOCKED':
      return blocked(ctx, op);
  }
}

function moveTo(ctx: Context, op: Operation, phase: Operation['phase']): void {
  op.phase = phase;
  op.phaseSince = ctx.now;
}

/**
 * A savepoint is wanted from a job that is restarting or starting: take it once the job runs; fall
 * back to its latest state when it ends for good, its JobManager goes, or it stays between states
 * longer than upgradeWaitForRunning (a job restarting in a loop must not hold an upgrade forever).
 */
function waitingForJob(ctx: Context, name: string, op: Operation): Step | undefined {
  const job = jobStatusOf(ctx);
  const previousAttempt = op.savepoint?.attempt ?? 0;
  if (job.state === 'RUNNING' && ctx.observation.jobManager.exists && job.jobId === op.fromJobId) {
    delete op.note;
    beginSavepoint(ctx, op, previousAttempt + 1);
    return advanceOperation(ctx, name);
  }
  const waited = ctx.now - op.phaseSince;
  if (!isTransient(ctx) || waited > ctx.settings.upgradeWaitForRunningMs) {
    const why = isTransient(ctx)
      ? `job ${op.fromJobId} stayed ${job.state} for ${Math.round(waited / 1000)}s (upgrade.wait-for-running), so no savepoint can be taken`
      : `job ${op.fromJobId} is ${ctx.observation.jobManager.exists ? job.state : 'gone (no JobManager)'}, so no savepoint can be taken`;
    fallBackToLatestState(ctx, op, why);
    return advanceOperation(ctx, name);
  }
  const note = `waiting for job ${op.fromJobId} (${job.state}) to run again before taking its savepoint`;
  if (op.note !== note) event(ctx, 'Normal', 'UpgradeWaiting', note);
  op.note = note;
  return nothing(PROGRESS_REQUEUE_MS);
}

/** The stop completed with `path`: record it as the state to restore, then tear down (or, deleting, let go). */
function savepointTaken(ctx: Context, name: string, op: Operation, path: string, how: string): Step | undefined {
  const sp = op.savepoint!;
  sp.path = path;
  op.restore = { path, source: 'savepoint', fromJobId: op.fromJobId ?? '', recordedAt: ctx.now };
  recordSavepoint(
    ctx,
    name,
    { path, timestamp: ctx.now, triggerType: 'upgrade', jobId: op.fromJobId ?? '' },
    sp.triggerId,
  );
  event(ctx, 'Normal', 'SavepointCompleted', `job ${op.fromJobId} stopped with savepoint ${path}${how}`);
  if (op.kind === 'delete') return act({ type: 'removeFinalizer' });
  moveTo(ctx, op, 'TEARING_DOWN');
  return advanceOperation(ctx, name);
}

function savepointing(ctx: Context, name: string, op: Operation): Step | undefined {
  const sp = op.savepoint!;
  const seen =
    ctx.observation.savepointTrigger?.triggerId === sp.triggerId ? ctx.observation.savepointTrigger : undefined;
  const job = jobStatusOf(ctx);
  if (seen?.status === 'COMPLETED' && seen.path !== undefined) return savepointTaken(ctx, name, op, seen.path, '');
  // The upgrade mode changed away from savepoint while the savepoint hangs: the user's way out
  // (a savepoint that completed in the meantime is still used, above).
  if (op.kind !== 'delete' && ctx.spec.job.upgradeMode !== 'savepoint' && ctx.observation.generation > op.generation) {
    event(
      ctx,
      'Normal',
      'SpecChanged',
      `upgradeMode is now ${ctx.spec.job.upgradeMode}; no longer waiting for savepoint ${sp.triggerId}`,
    );
    op.mode = ctx.spec.job.upgradeMode;
    delete op.savepoint;
    moveTo(ctx, op, 'TEARING_DOWN');
    return advanceOperation(ctx, name);
  }
  const ours = job.jobId === op.fromJobId;
  const jobGone = !ctx.observation.jobManager.exists || (ours && terminal.has(job.state));
  const stopSent = (): Step =>
    act(
      {
        type: 'triggerSavepoint',
        jobId: op.fromJobId ?? '',
        triggerId: op.savepoint!.triggerId,
        targetDirectory: savepointsDir(ctx),
        stop: true,
      },
      STOP_POLL_MS,
    );
  if (jobGone && seen?.status !== 'IN_PROGRESS' && seen?.status !== 'FAILED') {
    return jobEnded(ctx, name, op, seen === undefined ? 'stopped answering' : 'no longer knows the trigger');
  }
  if (!jobGone && ours && seen?.status !== 'IN_PROGRESS' && transient.has(job.state) && job.state !== 'RECONCILING') {
    // Restarting (a failure during the stop, perhaps): the trigger is lost with the attempt. Wait for the job, bounded.
    event(
      ctx,
      'Warning',
      'SavepointError',
      `job ${op.fromJobId} is ${job.state} during stop-with-savepoint ${sp.triggerId}`,
    );
    moveTo(ctx, op, 'WAITING_FOR_JOB');
    return advanceOperation(ctx, name);
  }
  if (seen?.status === 'FAILED') {
    const why = seen.failure ?? 'the JobManager reported a failure';
    if (jobGone) {
      fallBackToLatestState(
        ctx,
        op,
        `stop-with-savepoint ${sp.triggerId} failed (${why}) and job ${op.fromJobId} is ${job.state}`,
      );
      return advanceOperation(ctx, name);
    }
    if (sp.attempt >= ctx.settings.savepointMaxAttempts) {
      moveTo(ctx, op, 'BLOCKED');
      op.note =
        `stop-with-savepoint failed ${sp.attempt} times (last: ${why}); job ${op.fromJobId} keeps running the previous spec. ` +
        'Fix the cause and change the spec (restartNonce will do) to try again, or set spec.job.upgradeMode to last-state or stateless';
      setError(ctx, 'UpgradeBlocked', op.note);
      event(ctx, 'Warning', 'SavepointError', ctx.status.error!.message);
      return nothing();
    }
    event(ctx, 'Warning', 'SavepointError', `stop-with-savepoint attempt ${sp.attempt} failed: ${why}; trying again`);
    beginSavepoint(ctx, op, sp.attempt + 1);
    return stopSent();
  }
  if (ctx.now - sp.triggeredAt > ctx.settings.savepointTimeoutMs) {
    setError(
      ctx,
      'SavepointSlow',
      `stop-with-savepoint ${sp.triggerId} of job ${op.fromJobId} still not complete after ${Math.round((ctx.now - sp.triggeredAt) / 1000)}s; ` +
        'still waiting (set spec.job.upgradeMode to last-state to upgrade from the latest checkpoint instead)',
    );
  }
  // Not yet answered, in progress, or unknown to a running job (perhaps never sent): send the same trigger; the id makes it idempotent.
  return seen?.status === 'IN_PROGRESS' ? nothing(STOP_POLL_MS) : stopSent();
}

/**
 * The job being stopped is gone and its JobManager cannot say what became of the stop (it restarted
 * and found its job ended, or it is gone). The runtime's `_job-ended` marker in checkpoint storage
 * says how the job ended and with which savepoint; only when there is no marker (or it names no
 * savepoint) does the operation fall back to the latest checkpoint, which may be older than the
 * savepoint the stop took.
 */
function jobEnded(ctx: Context, name: string, op: Operation, what: string): Step | undefined {
  const sp = op.savepoint!;
  const seen = ctx.observation.jobEnding;
  if (seen === undefined || seen.jobId !== op.fromJobId) return nothing(STOP_POLL_MS); // the observer reads it next time
  const ending = seen.ending;
  if (ending?.savepoint !== undefined) {
    return savepointTaken(ctx, name, op, ending.savepoint, ` (read from its end marker: the JobManager ${what})`);
  }
  const how = ending
    ? `ended ${ending.state} without a savepoint`
    : 'left no end marker in checkpoint storage, so whether the stop completed is unknown';
  fallBackToLatestState(
    ctx,
    op,
    `stop-with-savepoint ${sp.triggerId}: the JobManager ${what} and job ${op.fromJobId} ${how}`,
  );
  return advanceOperation(ctx, name);
}

function cancelling(ctx: Context, name: string, op: Operation): Step | undefined {
  const job = jobStatusOf(ctx);
  const done =
    !ctx.observation.jobManager.exists ||
    (job.jobId === op.fromJobId && notRunning.has(job.state)) ||
    ctx.now - op.phaseSince > ctx.settings.cancelTimeoutMs;
  if (!done) return act({ type: 'cancelJob', jobId: op.fromJobId ?? '' });
  if (op.kind === 'delete') return act({ type: 'removeFinalizer' });
  moveTo(ctx, op, 'TEARING_DOWN');
  return advanceOperation(ctx, name);
}

function tearingDown(ctx: Context, name: string, op: Operation): Step | undefined {
  if (ctx.observation.jobManager.exists || ctx.observation.taskManagers.exists) return act({ type: 'deleteCluster' });
  if (op.restore) return finish(ctx, name, op.restore);
  if (op.mode === 'stateless') return finish(ctx, name, { source: 'none', recordedAt: ctx.now });
  moveTo(ctx, op, 'LOCATING_CHECKPOINT');
  return locatingCheckpoint(ctx, name, op);
}

function locatingCheckpoint(ctx: Context, name: string, op: Operation): Step | undefined {
  const stored = ctx.observation.storedCheckpoint;
  if (op.fromJobId === undefined) return finish(ctx, name, { source: 'none', recordedAt: ctx.now });
  if (stored?.jobId !== op.fromJobId) return nothing(PROGRESS_REQUEUE_MS); // the observer reads storage for this job next time
  const job = jobStatusOf(ctx);
  op.restore = chooseLatestState(
    op.fromJobId,
    stored.checkpoint,
    knownSavepoints(ctx),
    job.jobId === op.fromJobId ? job.restoredFrom : undefined,
    ctx.now,
  );
  return finish(ctx, name, op.restore);
}

function blocked(ctx: Context, op: Operation): Step | undefined {
  if (ctx.observation.generation > op.generation) {
    // The user changed the spec: drop the held-back upgrade; the new spec starts a fresh one.
    delete reconciliationOf(ctx).operation;
    reconciliationOf(ctx).state = 'DEPLOYED';
    return undefined;
  }
  setError(ctx, 'UpgradeBlocked', op.note ?? 'upgrade held back');
  return nothing();
}

/** The old job is gone and its state recorded: deploy what is wanted now (the latest spec, so no edit made meanwhile is lost). */
function finish(ctx: Context, name: string, restore: RestoreRecord): Step {
  const r = reconciliationOf(ctx);
  const op = r.operation!;
  delete r.operation;
  if (op.kind === 'rollback' && r.rolledBackSpecHash === specHash(ctx.spec)) {
    const stable = lastStableSpec(ctx)!;
    event(
      ctx,
      'Warning',
      'Rollback',
      `rolled back to the last stable spec, restoring ${restore.path ?? 'empty state'}`,
    );
    return deployNew(ctx, name, stable, restore, 'ROLLED_BACK');
  }
  if (ctx.spec.job.state === 'suspended') {
    r.lastReconciledSpec = ctx.spec;
    r.pendingRestore = restore;
    r.state = 'DEPLOYED';
    r.reconciliationTimestamp = ctx.now;
    const job = jobStatusOf(ctx);
    job.state = 'SUSPENDED';
    job.updateTime = ctx.now;
    delete job.runningSince;
    event(ctx, 'Normal', 'Suspended', `job suspended; it resumes from ${restore.path ?? 'empty state'}`);
    return nothing();
  }
  return deployNew(ctx, name, ctx.spec, restore, 'DEPLOYED');
}
