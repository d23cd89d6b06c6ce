// The lifecycle state and the conditions (Ready, Progressing, Degraded), derived
// from the status draft at the end of every decide(): more than the Flink
// operator's single Running condition, each with a reason and a message.
import type { Condition, LifecycleState } from '../resource/stream-deployment-status.ts';
import { specHash } from '../children/deployment-hash.ts';
import type { Context } from './context.ts';
import { lastStableSpec, reconciledSpec } from './deploy.ts';
import { failedJobReason } from './crash-loop.ts';

export function lifecycleOf(ctx: Context): LifecycleState {
  const r = ctx.status.reconciliationStatus;
  const op = r?.operation;
  if (ctx.observation.deletionRequested || op?.kind === 'delete') return 'DELETING';
  if (op) return op.kind === 'rollback' ? 'ROLLING_BACK' : 'UPGRADING';
  const deployed = reconciledSpec(ctx);
  if (!deployed) return 'CREATED';
  if (deployed.job.state === 'suspended') return 'SUSPENDED';
  const jobState = ctx.status.jobStatus?.state;
  if (jobState === 'FAILED') return 'FAILED';
  if (r?.state === 'ROLLED_BACK') return 'ROLLED_BACK';
  const stable = lastStableSpec(ctx);
  if (stable && specHash(stable) === specHash(deployed) && (jobState === 'RUNNING' || jobState === 'FINISHED'))
    return 'STABLE';
  return 'DEPLOYED';
}

type Verdict = [status: Condition['status'], reason: string, message: string];

export function conditionsOf(ctx: Context, lifecycle: LifecycleState): Condition[] {
  const job = ctx.status.jobStatus;
  const jobState = job?.state;
  const error = ctx.status.error;
  const op = ctx.status.reconciliationStatus?.operation;

  const ready: Verdict =
    jobState === 'RUNNING' && ctx.status.jobManagerDeploymentStatus === 'READY'
      ? ['True', 'JobRunning', `job ${job?.jobId} is running`]
      : lifecycle === 'SUSPENDED'
        ? ['False', 'Suspended', 'the job is suspended (spec.job.state)']
        : jobState === 'FINISHED'
          ? ['False', 'JobFinished', `job ${job?.jobId} finished`]
          : jobState === 'FAILED'
            ? ['False', failedJobReason(ctx), error?.message ?? `job ${job?.jobId} failed`]
            : [
                'False',
                'NotRunning',
                `job is ${jobState ?? 'not deployed'}; JobManager ${ctx.status.jobManagerDeploymentStatus ?? 'unknown'}`,
              ];

  const progressing: Verdict =
    op?.phase === 'BLOCKED'
      ? ['False', 'UpgradeBlocked', op.note ?? 'upgrade held back']
      : op
        ? [
            'True',
            op.kind === 'rollback' ? 'RollingBack' : 'Upgrading',
            `${op.kind} (${op.mode}) in phase ${op.phase}${op.note ? `: ${op.note}` : ''}`,
          ]
        : lifecycle === 'DEPLOYED' || lifecycle === 'CREATED'
          ? ['True', 'Deploying', 'waiting for the job to become stable']
          : ['False', lifecycle === 'STABLE' ? 'Stable' : lifecycle, `lifecycle state ${lifecycle}`];

  const degraded: Verdict = error ? ['True', error.reason, error.message] : ['False', 'NoError', 'no error'];

  return [
    condition(ctx, 'Ready', ready),
    condition(ctx, 'Progressing', progressing),
    condition(ctx, 'Degraded', degraded),
  ];
}

function condition(ctx: Context, type: string, [status, reason, message]: Verdict): Condition {
  const previous = ctx.status.conditions?.find((c) => c.type === type);
  // lastTransitionTime moves only when the status flips, as Kubernetes conventions ask.
  const lastTransitionTime =
    previous && previous.status === status ? previous.lastTransitionTime : new Date(ctx.now).toISOString();
  return { type, status, reason, message, lastTransitionTime, observedGeneration: ctx.observation.generation };
}
