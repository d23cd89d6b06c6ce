// Savepoints outside upgrades: manual ones (savepointTriggerNonce), periodic
// ones, following a trigger to its end, and deleting old ones from storage.
// A trigger is recorded (with its id) before it is sent, so a restarted
// operator re-sends the same id rather than taking a second savepoint.
import type {
  SavepointRecord,
  SnapshotTriggerType,
  StreamDeploymentStatus,
} from '../resource/stream-deployment-status.ts';
import { runtimeKeys } from '../resource/config-keys.ts';
import { act, event, jobStatusOf, savepointInfoOf, setError, type Context, type Step } from './context.ts';
import { triggerIdFor } from './ids.ts';

const HISTORY_LIMIT = 100;

/** Name of the StreamSnapshot that records a savepoint: stable, so creating it twice is harmless. */
export function snapshotNameFor(deploymentName: string, triggerType: SnapshotTriggerType, triggerId: string): string {
  return `${deploymentName.slice(0, 40)}-${triggerType}-${triggerId.slice(0, 10)}`;
}

/**
 * Every savepoint known of this deployment, oldest first: the operator's history and last one, and those
 * users took through their own StreamSnapshots (not in the history: their records are the users' to keep),
 * less those being deleted.
 */
export function knownSavepoints(ctx: Context): SavepointRecord[] {
  const info = ctx.status.jobStatus?.savepointInfo;
  const all = [...(info?.history ?? []), ...(info?.lastSavepoint ? [info.lastSavepoint] : [])];
  for (const user of ctx.observation.userSavepoints ?? []) all.push(user);
  // One being deleted from storage is state no more.
  const disposing = new Set(info?.disposing ?? []);
  const byPath = new Map(all.filter((s) => !disposing.has(s.path)).map((s) => [s.path, s]));
  return [...byPath.values()].sort((a, b) => a.timestamp - b.timestamp);
}

/** Records a completed savepoint as the last one and in the history. */
export function recordSavepoint(
  ctx: Context,
  name: string,
  entry: Omit<SavepointRecord, 'snapshotName' | 'triggerId'>,
  triggerId: string,
): void {
  const info = savepointInfoOf(ctx);
  const record = { ...entry, snapshotName: snapshotNameFor(name, entry.triggerType, triggerId), triggerId };
  info.lastSavepoint = record;
  const history = (info.history ??= []);
  if (!history.some((h) => h.path === record.path)) history.push(record);
  if (history.length > HISTORY_LIMIT) history.splice(0, history.length - HISTORY_LIMIT);
}

/** Follows the manual or periodic savepoint in flight; returns a step when it must be re-sent. */
export function followPendingTrigger(ctx: Context, name: string): Step | undefined {
  const info = savepointInfoOf(ctx);
  const pending = info.pendingTrigger;
  if (!pending) return undefined;
  const seen =
    ctx.observation.savepointTrigger?.triggerId === pending.triggerId ? ctx.observation.savepointTrigger : undefined;
  const overdue = ctx.now - pending.triggeredAt > ctx.settings.savepointTimeoutMs;
  if (seen?.status === 'COMPLETED' && seen.path !== undefined) {
    recordSavepoint(
      ctx,
      name,
      { path: seen.path, timestamp: ctx.now, triggerType: pending.triggerType, jobId: pending.jobId },
      pending.triggerId,
    );
    delete info.pendingTrigger;
    event(
      ctx,
      'Normal',
      'SavepointCompleted',
      `${pending.triggerType} savepoint of job ${pending.jobId} completed at ${seen.path}`,
    );
    return undefined;
  }
  const running = jobStatusOf(ctx).state === 'RUNNING';
  if (seen?.status === 'UNKNOWN' && running && !overdue) {
    // Recorded but perhaps never sent (the operator stopped in between): send the same trigger again.
    return act({
      type: 'triggerSavepoint',
      jobId: pending.jobId,
      triggerId: pending.triggerId,
      targetDirectory: savepointsDir(ctx),
      stop: false,
    });
  }
  if (seen?.status === 'IN_PROGRESS' || (seen === undefined && !overdue)) {
    if (overdue)
      setError(
        ctx,
        'SavepointSlow',
        `${pending.triggerType} savepoint ${pending.triggerId} still in progress after ${Math.round((ctx.now - pending.triggeredAt) / 1000)}s`,
      );
    return undefined;
  }
  delete info.pendingTrigger;
  const why =
    seen?.status === 'FAILED'
      ? (seen.failure ?? 'the JobManager reported a failure')
      : `the JobManager ${seen ? 'does not know the trigger' : 'did not answer'} and the job is ${jobStatusOf(ctx).state ?? 'unknown'}`;
  setError(
    ctx,
    'SavepointFailed',
    `${pending.triggerType} savepoint of job ${pending.jobId} (trigger ${pending.triggerId}) failed: ${why}`,
  );
  event(ctx, 'Warning', 'SavepointError', ctx.status.error!.message);
  return undefined;
}

export function savepointsDir(ctx: Context): string {
  return ctx.spec.config[runtimeKeys.savepointsDir] ?? '';
}

/** A manual savepoint for a new savepointTriggerNonce, or a periodic one that is due. */
export function startRequestedSavepoint(ctx: Context): Step | undefined {
  const info = savepointInfoOf(ctx);
  const job = jobStatusOf(ctx);
  if (info.pendingTrigger || job.jobId === undefined) return undefined;
  const nonce = ctx.spec.job.savepointTriggerNonce;
  if (nonce !== undefined && nonce !== info.lastTriggerNonce) {
    if (job.state === 'RUNNING') return trigger(ctx, 'manual', `manual-${nonce}`, nonce);
    if (job.state === 'FAILED' || job.state === 'FINISHED' || job.state === 'CANCELED' || job.state === 'SUSPENDED') {
      info.lastTriggerNonce = nonce;
      event(
        ctx,
        'Warning',
        'SavepointError',
        `savepointTriggerNonce ${nonce} not honoured: job ${job.jobId} is ${job.state}`,
      );
    }
    return undefined; // starting up: it is taken once the job runs
  }
  const due = msUntilPeriodicSavepoint(ctx);
  if (due !== undefined && due <= 0) return trigger(ctx, 'periodic', `periodic-${ctx.now}`);
  return undefined;
}

/**
 * Milliseconds until the next periodic savepoint is due (0 or less: due now);
 * undefined when none is configured or the job is not running.
 */
export function msUntilPeriodicSavepoint(ctx: Context): number | undefined {
  const interval = ctx.settings.periodicSavepointIntervalMs;
  if (interval === undefined || jobStatusOf(ctx).state !== 'RUNNING') return undefined;
  const info = savepointInfoOf(ctx);
  const since = info.lastPeriodicSavepointTimestamp ?? ctx.status.reconciliationStatus?.deployedAt ?? ctx.now;
  return since + interval - ctx.now;
}

function trigger(ctx: Context, type: 'manual' | 'periodic', purpose: string, nonce?: number): Step {
  const info = savepointInfoOf(ctx);
  const jobId = jobStatusOf(ctx).jobId!;
  const triggerId = triggerIdFor(jobId, purpose, 0);
  info.pendingTrigger = {
    triggerId,
    triggerType: type,
    triggeredAt: ctx.now,
    jobId,
    ...(nonce !== undefined ? { nonce } : {}),
  };
  if (nonce !== undefined) info.lastTriggerNonce = nonce;
  if (type === 'periodic') info.lastPeriodicSavepointTimestamp = ctx.now;
  event(ctx, 'Normal', 'SavepointTriggered', `${type} savepoint of job ${jobId} triggered (${triggerId})`);
  return act({ type: 'triggerSavepoint', jobId, triggerId, targetDirectory: savepointsDir(ctx), stop: false });
}

/** Savepoints never deleted: the newest, and any state a deployment started from, will start from or would roll back to. */
export function protectedSavepointPaths(status: StreamDeploymentStatus | undefined): string[] {
  return [
    status?.jobStatus?.savepointInfo?.lastSavepoint?.path,
    status?.jobStatus?.restoredFrom?.path,
    status?.reconciliationStatus?.pendingRestore?.path,
    status?.reconciliationStatus?.rollbackRestore?.path,
    status?.reconciliationStatus?.operation?.restore?.path,
  ].filter((p): p is string => p !== undefined);
}

/**
 * Old savepoints to delete from storage: beyond the history's count or age,
 * never the newest, nor any state a deployment started from or will start from.
 * They move to `disposing` first, and leave it once storage no longer has them
 * (the Flink operator dropped history entries before the data was gone).
 */
export function cleanUpHistory(ctx: Context): Step | undefined {
  const info = savepointInfoOf(ctx);
  const gone = new Set(ctx.observation.disposedPaths ?? []);
  if (info.disposing) {
    info.disposing = info.disposing.filter((p) => !gone.has(p));
    if (info.disposing.length === 0) delete info.disposing;
  }
  const history = info.history ?? [];
  const protectedPaths = new Set(protectedSavepointPaths(ctx.status));
  const { savepointHistoryMaxCount: maxCount, savepointHistoryMaxAgeMs: maxAge } = ctx.settings;
  const expired = history.filter(
    (h, i) =>
      !protectedPaths.has(h.path) && (history.length - i > Math.max(maxCount, 1) || ctx.now - h.timestamp > maxAge),
  );
  if (expired.length > 0) {
    const paths = expired.map((h) => h.path);
    info.history = history.filter((h) => !paths.includes(h.path));
    info.disposing = [...(info.disposing ?? []), ...paths];
    event(ctx, 'Normal', 'Cleanup', `deleting ${paths.length} old savepoint(s): ${paths.join(', ')}`);
  }
  if (info.disposing?.length) return act({ type: 'disposeSavepoints', paths: [...info.disposing] }, 30_000);
  return undefined;
}
