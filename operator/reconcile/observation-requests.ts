// What the observer must look up for decide(), read from the status: the
// savepoint trigger in flight, and whose latest checkpoint to find in storage.
import type { StreamDeploymentStatus } from '../resource/stream-deployment-status.ts';

/** The trigger id to ask the JobManager about (GET /jobs/:id/savepoints/:triggerId), if any. */
export function triggerToObserve(
  status: StreamDeploymentStatus | undefined,
): { jobId: string; triggerId: string } | undefined {
  const op = status?.reconciliationStatus?.operation;
  if (op?.phase === 'SAVEPOINTING' && op.savepoint && op.fromJobId)
    return { jobId: op.fromJobId, triggerId: op.savepoint.triggerId };
  const pending = status?.jobStatus?.savepointInfo?.pendingTrigger;
  return pending ? { jobId: pending.jobId, triggerId: pending.triggerId } : undefined;
}

/** The job whose newest complete checkpoint must be read from storage, if any. */
export function checkpointLookup(status: StreamDeploymentStatus | undefined): string | undefined {
  const op = status?.reconciliationStatus?.operation;
  return op?.phase === 'LOCATING_CHECKPOINT' ? op.fromJobId : undefined;
}

/**
 * The job whose `_job-ended` marker must be read from storage: the one being stopped with a savepoint,
 * once the JobManager no longer answers for the trigger (it restarted, or is gone), so the path the
 * stop produced is read from the marker rather than lost. `trigger` is what the JobManager said.
 */
export function jobEndingLookup(
  status: StreamDeploymentStatus | undefined,
  trigger: { status: string } | undefined,
): string | undefined {
  const op = status?.reconciliationStatus?.operation;
  if (op?.phase !== 'SAVEPOINTING' || op.fromJobId === undefined) return undefined;
  return trigger?.status === 'IN_PROGRESS' || trigger?.status === 'COMPLETED' ? undefined : op.fromJobId;
}

/** Savepoints being disposed, whose absence from storage the observer reports. */
export function disposalsToCheck(status: StreamDeploymentStatus | undefined): string[] {
  return status?.jobStatus?.savepointInfo?.disposing ?? [];
}
