// When a deployment counts as stable: more than "observed running" (the Flink
// operator's test, which its users find too weak). The job runs on every
// TaskManager, has run without a restart for the stability window, and has
// completed a checkpoint since it started when checkpointing is on.
import type { StreamDeploymentSpec } from '../resource/stream-deployment-spec.ts';
import type { StreamDeploymentStatus } from '../resource/stream-deployment-status.ts';
import { runtimeKeys } from '../resource/config-keys.ts';
import type { Observation } from './observation.ts';

export function isStable(
  spec: StreamDeploymentSpec,
  status: StreamDeploymentStatus,
  observation: Observation,
  stabilityWindowMs: number,
): boolean {
  const job = status.jobStatus;
  if (job?.state !== 'RUNNING' || job.runningSince === undefined) return false;
  if (!observation.jobManager.ready) return false;
  const tms = observation.taskManagers;
  if (!tms.exists || tms.ready < spec.taskManager.replicas) return false;
  if (observation.now - job.runningSince < stabilityWindowMs) return false;
  if (runtimeKeys.checkpointInterval in spec.config) {
    const checkpoint = job.checkpointInfo?.lastCheckpoint;
    if (!checkpoint || checkpoint.jobId !== job.jobId || checkpoint.timestamp < job.runningSince) return false;
  }
  return true;
}
