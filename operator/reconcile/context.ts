// The working state of one decide() call: the inputs, a draft of the status to
// write (a copy; the caller's status is never touched) and the events so far.
import type { StreamDeploymentSpec } from '../resource/stream-deployment-spec.ts';
import type { StreamDeploymentStatus } from '../resource/stream-deployment-status.ts';
import type { OperatorSettings } from '../resource/operator-settings.ts';
import type { Action, OperatorEvent } from './action.ts';
import type { Observation } from './observation.ts';

type Draft = StreamDeploymentStatus;
export type JobStatusDraft = NonNullable<Draft['jobStatus']>;
export type ReconciliationDraft = NonNullable<Draft['reconciliationStatus']>;
export type SavepointInfoDraft = NonNullable<JobStatusDraft['savepointInfo']>;

export interface Context {
  spec: StreamDeploymentSpec;
  observation: Observation;
  settings: OperatorSettings;
  now: number;
  status: Draft;
  events: OperatorEvent[];
  /** The error as it stood before this call; errors are derived afresh each time, and keep their first timestamp. */
  previousError: Draft['error'];
  /** The JobManager Deployment's status before this observation: a READY one now MISSING was lost. */
  previousJobManagerStatus: Draft['jobManagerDeploymentStatus'];
  /** Set when the job is FAILED because its JobManager keeps failing at start or cannot start (crash-loop.ts). */
  jobManagerFailure?: JobManagerFailure;
}

export interface JobManagerFailure {
  reason: 'JobManagerCrashLoop' | 'JobManagerCannotStart';
  /** As in jobStatus.failureCause. */
  cause: string;
}

/** One step's outcome: an action and how soon to look again. */
export interface Step {
  action: Action;
  requeueAfterMs: number;
}

/** Look again soon while something is moving, rarely when all is still. */
export const PROGRESS_REQUEUE_MS = 5_000;
export const STEADY_REQUEUE_MS = 60_000;
/**
 * While a stop-with-savepoint runs, look every second: a JobManager whose job
 * stopped keeps the result only for a few seconds before it exits.
 */
export const STOP_POLL_MS = 1_000;

export const nothing = (requeueAfterMs = STEADY_REQUEUE_MS): Step => ({ action: { type: 'none' }, requeueAfterMs });
export const act = (action: Action, requeueAfterMs = PROGRESS_REQUEUE_MS): Step => ({ action, requeueAfterMs });

export function jobStatusOf(ctx: Context): JobStatusDraft {
  return (ctx.status.jobStatus ??= {});
}

export function reconciliationOf(ctx: Context): ReconciliationDraft {
  return (ctx.status.reconciliationStatus ??= {});
}

export function savepointInfoOf(ctx: Context): SavepointInfoDraft {
  return (jobStatusOf(ctx).savepointInfo ??= {});
}

export function setError(ctx: Context, reason: string, message: string): void {
  const previous = ctx.previousError;
  // Keep the first time an unchanged error was seen, so its age is visible.
  const timestamp = previous?.reason === reason && previous.message === message ? previous.timestamp : ctx.now;
  ctx.status.error = { reason, message, timestamp };
}

export function event(
  ctx: Context,
  type: OperatorEvent['type'],
  reason: OperatorEvent['reason'],
  message: string,
): void {
  ctx.events.push({ type, reason, message });
}
