// Folds what the observer saw into the status draft: JobManager deployment
// status, the job's state and restarts (for stability), the latest checkpoint,
// the TaskManager count for the scale subresource, and a JobManager that keeps
// failing at start or cannot start (the job FAILED, see crash-loop.ts).
import type { Context } from './context.ts';
import { jobStatusOf } from './context.ts';
import type { JobState } from '../resource/stream-deployment-status.ts';
import { taskManagerSelector } from '../children/labels.ts';
import { jobManagerFailure, jobManagerFailureLimits } from './crash-loop.ts';

const terminal: ReadonlySet<JobState> = new Set(['FAILED', 'FINISHED', 'CANCELED', 'SUSPENDED']);

export function recordObservation(ctx: Context, name: string): void {
  const { observation: obs, now } = ctx;
  ctx.status.jobManagerDeploymentStatus = !obs.jobManager.exists
    ? 'MISSING'
    : obs.jobManager.problem !== undefined
      ? 'ERROR'
      : obs.jobManager.ready && obs.rest !== undefined
        ? 'READY'
        : 'DEPLOYED_NOT_READY';
  ctx.status.taskManager = { replicas: obs.taskManagers.ready, labelSelector: taskManagerSelector(name) };

  const job = jobStatusOf(ctx);
  if (job.jobId === undefined) return;
  const failure = jobManagerFailure(obs, job.jobId, jobManagerFailureLimits(ctx));
  if (failure !== undefined) {
    // The first failure seen stays the cause: later crashes differ only in their log tail, and a changed
    // cause would repeat the Warning Event at every restart.
    if (job.state !== 'FAILED' || job.failureCause === undefined) {
      job.updateTime = now;
      job.failureCause = failure.cause;
    }
    job.state = 'FAILED';
    delete job.runningSince;
    ctx.jobManagerFailure = { reason: failure.reason, cause: job.failureCause };
    ctx.status.jobManagerDeploymentStatus = 'ERROR';
    return;
  }
  const seen = obs.rest?.job;
  if (seen && seen.id === job.jobId) {
    if (seen.state !== job.state) job.updateTime = now;
    const restarted = seen.restarts > (job.restarts ?? 0);
    job.state = seen.state;
    job.startTime = seen.startTime ?? job.startTime;
    job.restarts = seen.restarts;
    if (seen.failure !== undefined) job.failureCause = seen.failure;
    if (seen.state !== 'RUNNING') delete job.runningSince;
    else if (restarted || job.runningSince === undefined) job.runningSince = now;
    const checkpoint = obs.rest?.latestCheckpoint;
    const last = job.checkpointInfo?.lastCheckpoint;
    if (checkpoint && (last?.jobId !== job.jobId || last.id < checkpoint.id)) {
      job.checkpointInfo = { lastCheckpoint: { ...checkpoint, jobId: job.jobId } };
    }
  } else if (job.state === undefined || !terminal.has(job.state)) {
    // Not answered for our job: unknown until it is, as RECONCILING says.
    if (job.state !== 'RECONCILING') job.updateTime = now;
    job.state = 'RECONCILING';
    delete job.runningSince;
  }
}
