// Writing a new deployment into status: a fresh job id, the state it restores
// and the spec it runs are recorded first; the deploy action that follows (and
// any repeat of it after a restart) renders exactly that record.
import { streamDeploymentSpecSchema, type StreamDeploymentSpec } from '../resource/stream-deployment-spec.ts';
import type { RestoreRecord } from '../resource/stream-deployment-status.ts';
import { deploymentHash, specHash } from '../children/deployment-hash.ts';
import { act, event, jobStatusOf, reconciliationOf, type Context, type Step } from './context.ts';
import { jobIdFor } from './ids.ts';

/** A spec kept in status, read back (it was valid when written; defaults added since are filled in). */
function readRecordedSpec(recorded: Record<string, unknown> | undefined): StreamDeploymentSpec | undefined {
  if (recorded === undefined) return undefined;
  const parsed = streamDeploymentSpecSchema.safeParse(recorded);
  return parsed.success ? parsed.data : (recorded as unknown as StreamDeploymentSpec);
}

export function reconciledSpec(ctx: Context): StreamDeploymentSpec | undefined {
  return readRecordedSpec(ctx.status.reconciliationStatus?.lastReconciledSpec);
}

export function lastStableSpec(ctx: Context): StreamDeploymentSpec | undefined {
  return readRecordedSpec(ctx.status.reconciliationStatus?.lastStableSpec);
}

export function deployNew(
  ctx: Context,
  name: string,
  spec: StreamDeploymentSpec,
  restore: RestoreRecord,
  state: 'DEPLOYED' | 'ROLLED_BACK',
): Step {
  const r = reconciliationOf(ctx);
  const previous = reconciledSpec(ctx);
  const sequence = (r.deploySequence ?? 0) + 1;
  const jobId = jobIdFor(ctx.observation.uid, sequence);
  // A rollback returns to the state this spec was first deployed from, not to a later restart's.
  if (state === 'DEPLOYED' && (previous === undefined || specHash(previous) !== specHash(spec) || !r.rollbackRestore)) {
    r.rollbackRestore = restore;
  }
  if (state === 'DEPLOYED') delete r.rolledBackSpecHash;
  r.lastReconciledSpec = spec;
  r.deploySequence = sequence;
  r.deployedAt = ctx.now;
  r.reconciliationTimestamp = ctx.now;
  r.state = state;
  delete r.pendingRestore;
  delete r.operation;

  const job = jobStatusOf(ctx);
  job.jobId = jobId;
  job.state = 'RECONCILING';
  job.updateTime = ctx.now;
  job.restoredFrom = restore;
  delete job.runningSince;
  delete job.restarts;
  delete job.failureCause;
  delete job.startTime;
  event(ctx, 'Normal', 'Submit', `deploying job ${jobId} from ${restore.path ?? 'empty state'}`);
  return act(expectedDeploy(spec, jobId, restore));
}

export function expectedDeploy(spec: StreamDeploymentSpec, jobId: string, restore: RestoreRecord) {
  return { type: 'deploy' as const, spec, jobId, restore, deploymentHash: deploymentHash(spec, jobId, restore.path) };
}
