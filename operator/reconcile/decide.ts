// The operator's next step as a pure function of (spec, status, observation):
// the status to write first (the write-ahead record) and one action to take
// after. Running it again on the written status and a fresh observation
// continues where it was; nothing here reads a clock, the network or storage.
import type { StreamDeploymentSpec } from '../resource/stream-deployment-spec.ts';
import type { RestoreRecord, StreamDeploymentStatus } from '../resource/stream-deployment-status.ts';
import { defaultOperatorSettings, readOperatorSettings, type OperatorSettings } from '../resource/operator-settings.ts';
import { specRules } from '../resource/validation-rules.ts';
import { specHash } from '../children/deployment-hash.ts';
import type { Decision } from './action.ts';
import type { Observation } from './observation.ts';
import {
  act,
  event,
  jobStatusOf,
  nothing,
  PROGRESS_REQUEUE_MS,
  reconciliationOf,
  savepointInfoOf,
  setError,
  STEADY_REQUEUE_MS,
  type Context,
  type Step,
} from './context.ts';
import { recordObservation } from './record-observation.ts';
import { advanceOperation, startOperation } from './operation.ts';
import { deployNew, expectedDeploy, lastStableSpec, reconciledSpec } from './deploy.ts';
import { classifySpecChange } from './spec-change.ts';
import { isStable } from './stability.ts';
import { handleFailedJob } from './restart-policy.ts';
import {
  cleanUpHistory,
  followPendingTrigger,
  msUntilPeriodicSavepoint,
  startRequestedSavepoint,
} from './savepoints.ts';
import { conditionsOf, lifecycleOf } from './conditions.ts';

export interface DecideInput {
  /** metadata.name of the StreamDeployment. */
  name: string;
  /** The spec as parsed (defaults applied). */
  spec: StreamDeploymentSpec;
  /** The status as last written; undefined for a new resource. */
  status: StreamDeploymentStatus | undefined;
  observation: Observation;
}

/** The next step for one StreamDeployment. */
export function decide(input: DecideInput): Decision {
  const status = structuredClone(input.status ?? {});
  const previousError = status.error;
  delete status.error;
  const ctx: Context = {
    spec: input.spec,
    observation: input.observation,
    settings: defaultOperatorSettings,
    now: input.observation.now,
    status,
    events: [],
    previousError,
    previousJobManagerStatus: status.jobManagerDeploymentStatus,
  };
  recordObservation(ctx, input.name);
  const step = acceptSpec(ctx) ? run(ctx, input.name) : (advanceOperation(ctx, input.name) ?? nothing());
  const lifecycle = lifecycleOf(ctx);
  status.lifecycleState = lifecycle;
  status.conditions = conditionsOf(ctx, lifecycle);
  status.observedGeneration = input.observation.generation;
  return { status, action: step.action, events: ctx.events, requeueAfterMs: step.requeueAfterMs };
}

/**
 * Checks the spec the way the CRD does. A bad spec does not stop the job: the
 * last accepted one keeps being reconciled, and the error says what is wrong.
 */
function acceptSpec(ctx: Context): boolean {
  const problems = specRules.filter((rule) => !rule.check(ctx.spec)).map((rule) => rule.message);
  let settings: OperatorSettings | undefined;
  try {
    settings = readOperatorSettings(ctx.spec.config);
  } catch (error) {
    problems.push((error as Error).message);
  }
  if (settings && problems.length === 0) {
    ctx.settings = settings;
    return true;
  }
  const message = `spec of generation ${ctx.observation.generation} refused, still running the last accepted spec: ${problems.join('; ')}`;
  if (ctx.previousError?.message !== message) event(ctx, 'Warning', 'ValidationError', message);
  setError(ctx, 'ValidationError', message);
  const deployed = reconciledSpec(ctx);
  if (deployed) {
    ctx.spec = deployed;
    ctx.settings = safeSettings(deployed);
  }
  return false;
}

function safeSettings(spec: StreamDeploymentSpec): OperatorSettings {
  try {
    return readOperatorSettings(spec.config);
  } catch {
    return defaultOperatorSettings;
  }
}

function run(ctx: Context, name: string): Step {
  if (ctx.observation.deletionRequested) return deletion(ctx, name);
  const resend = followPendingTrigger(ctx, name);
  if (resend) return resend;
  return advanceOperation(ctx, name) ?? steady(ctx, name) ?? nothing();
}

function deletion(ctx: Context, name: string): Step {
  const r = reconciliationOf(ctx);
  if (r.operation?.kind === 'delete') return advanceOperation(ctx, name) ?? nothing(PROGRESS_REQUEUE_MS);
  // Whatever was in flight is moot once the resource goes; its savepoint, if any, was recorded.
  delete r.operation;
  if (!ctx.observation.jobManager.exists) return act({ type: 'removeFinalizer' });
  event(
    ctx,
    'Normal',
    'Deleting',
    ctx.settings.savepointOnDeletion
      ? 'stopping the job with a savepoint before deletion'
      : 'cancelling the job before deletion',
  );
  return startOperation(ctx, name, 'delete', ctx.settings.savepointOnDeletion ? 'savepoint' : 'stateless');
}

function initialRestore(ctx: Context): RestoreRecord {
  const path = ctx.spec.job.initialSavepointPath;
  return path !== undefined
    ? { path, source: 'initial', recordedAt: ctx.now }
    : { source: 'none', recordedAt: ctx.now };
}

/** No operation in flight: compare what is deployed with what is wanted and with what runs. */
function steady(ctx: Context, name: string): Step | undefined {
  const r = reconciliationOf(ctx);
  const deployed = reconciledSpec(ctx);
  if (!deployed) {
    if (ctx.spec.job.state === 'suspended') {
      r.lastReconciledSpec = ctx.spec;
      r.pendingRestore = initialRestore(ctx);
      r.state = 'DEPLOYED';
      return nothing();
    }
    return deployNew(ctx, name, ctx.spec, initialRestore(ctx), 'DEPLOYED');
  }
  if (deployed.job.state === 'suspended') {
    if (ctx.spec.job.state === 'suspended') {
      r.lastReconciledSpec = ctx.spec; // edits while suspended apply at resume
      return nothing();
    }
    event(ctx, 'Normal', 'Resumed', 'spec.job.state is running again');
    return deployNew(ctx, name, ctx.spec, r.pendingRestore ?? initialRestore(ctx), 'DEPLOYED');
  }

  const started = startForSpecChange(ctx, name, deployed);
  if (started) return started;
  const stable = noteStability(ctx, deployed);
  return (
    rollbackIfDue(ctx, name, deployed, stable) ??
    handleFailedJob(ctx, name) ??
    converge(ctx, deployed) ??
    savepointsAndCleanup(ctx) ??
    nothing(steadyRequeueMs(ctx, stable))
  );
}

/** When to look again with nothing to do: soon while settling; once stable, by the next periodic savepoint at the latest. */
function steadyRequeueMs(ctx: Context, stable: boolean): number {
  if (!stable) return PROGRESS_REQUEUE_MS;
  const due = msUntilPeriodicSavepoint(ctx);
  // Never below the progress pace: a savepoint due every second must not make the operator spin.
  return due === undefined ? STEADY_REQUEUE_MS : Math.min(STEADY_REQUEUE_MS, Math.max(PROGRESS_REQUEUE_MS, due));
}

/**
 * A requested savepoint, or deleting those the history dropped. Savepoints dropped in this pass are
 * deleted first: when one is due at every pass (a periodic interval no longer than a pass), taking the
 * next savepoint first would starve the deletion for good, and the history would grow without bound.
 */
function savepointsAndCleanup(ctx: Context): Step | undefined {
  const disposing = new Set(savepointInfoOf(ctx).disposing ?? []);
  const cleanup = cleanUpHistory(ctx);
  const dropped = (savepointInfoOf(ctx).disposing ?? []).some((p) => !disposing.has(p));
  return dropped ? cleanup : (startRequestedSavepoint(ctx) ?? cleanup);
}

function startForSpecChange(ctx: Context, name: string, deployed: StreamDeploymentSpec): Step | undefined {
  const r = reconciliationOf(ctx);
  const change = classifySpecChange(deployed, ctx.spec);
  if (change === 'none') return undefined;
  if (change === 'operator-only') {
    r.lastReconciledSpec = ctx.spec;
    return undefined;
  }
  if (change === 'upgrade' && r.rolledBackSpecHash === specHash(ctx.spec)) {
    setError(
      ctx,
      'RolledBack',
      'this spec was rolled back because it did not become stable; change the spec to try again',
    );
    return undefined;
  }
  const pending = savepointInfoOf(ctx).pendingTrigger;
  if (pending) {
    // A manual or periodic savepoint is in flight; it ends (or times out) before the job is stopped.
    return nothing(PROGRESS_REQUEUE_MS);
  }
  const onlyNonce = specHash({ ...deployed, restartNonce: ctx.spec.restartNonce }) === specHash(ctx.spec);
  const kind = change === 'suspend' ? 'suspend' : onlyNonce ? 'restart' : 'upgrade';
  event(
    ctx,
    'Normal',
    'SpecChanged',
    `${kind} of generation ${ctx.observation.generation} with upgradeMode ${ctx.spec.job.upgradeMode}`,
  );
  return startOperation(ctx, name, kind, ctx.spec.job.upgradeMode);
}

/** Records stability; a stable deployment becomes the rollback target and clears the restart count. */
function noteStability(ctx: Context, deployed: StreamDeploymentSpec): boolean {
  const r = reconciliationOf(ctx);
  const job = jobStatusOf(ctx);
  if (!isStable(deployed, ctx.status, ctx.observation, ctx.settings.stabilityWindowMs)) return false;
  const previous = lastStableSpec(ctx);
  if (!previous || specHash(previous) !== specHash(deployed) || r.rollbackRestore) {
    event(ctx, 'Normal', 'Stable', `job ${job.jobId} is stable`);
  }
  r.lastStableSpec = deployed;
  delete r.rollbackRestore;
  delete job.failureRestarts;
  return true;
}

function rollbackIfDue(ctx: Context, name: string, deployed: StreamDeploymentSpec, stable: boolean): Step | undefined {
  const r = reconciliationOf(ctx);
  const target = lastStableSpec(ctx);
  if (!ctx.settings.rollbackEnabled || stable || r.state !== 'DEPLOYED' || !target) return undefined;
  if (specHash(target) === specHash(deployed)) return undefined;
  const failed = jobStatusOf(ctx).state === 'FAILED';
  const late = ctx.now - (r.deployedAt ?? ctx.now) > ctx.settings.readinessTimeoutMs;
  if (!failed && !late) return undefined;
  r.rolledBackSpecHash = specHash(deployed);
  // The failed job's cause (a JobManager crash loop's too: recordObservation writes it there) goes with the
  // deployment rolled back, so the Event keeps it.
  const cause = jobStatusOf(ctx).failureCause;
  const why = failed
    ? `the job FAILED before becoming stable${cause !== undefined ? `: ${cause}` : ''}`
    : `not stable within ${Math.round(ctx.settings.readinessTimeoutMs / 1000)}s`;
  event(ctx, 'Warning', 'Rollback', `rolling back generation ${ctx.observation.generation}: ${why}`);
  return startOperation(ctx, name, 'rollback', 'stateless', {
    restore: r.rollbackRestore ?? { source: 'none', recordedAt: ctx.now },
  });
}

/** The children must be the recorded deployment: create them when missing, update them when they differ. */
function converge(ctx: Context, deployed: StreamDeploymentSpec): Step | undefined {
  const job = jobStatusOf(ctx);
  if (job.jobId === undefined) return undefined;
  const expected = expectedDeploy(deployed, job.jobId, job.restoredFrom ?? { source: 'none', recordedAt: ctx.now });
  const { jobManager, taskManagers } = ctx.observation;
  if (jobManager.exists && taskManagers.exists && jobManager.deploymentHash === expected.deploymentHash)
    return undefined;
  const wasUp = ctx.previousJobManagerStatus === 'READY' || ctx.previousJobManagerStatus === 'DEPLOYED_NOT_READY';
  if (!jobManager.exists && wasUp) {
    event(
      ctx,
      'Warning',
      'RecoverDeployment',
      `JobManager Deployment of job ${job.jobId} is missing; recreating it (the job resumes from its latest checkpoint)`,
    );
  }
  return act(expected);
}
