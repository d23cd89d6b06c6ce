// The next step for one StreamSnapshot, as a pure function: a user's request
// for a savepoint (alreadyExists false) is triggered on its deployment's
// running job with a trigger id recorded first, followed to COMPLETED or
// FAILED; alreadyExists only records; deletion with disposeOnDelete deletes the
// data (under a finalizer) unless the deployment still needs it.
import type { StreamSnapshotSpec, StreamSnapshotStatus } from '../resource/stream-snapshot.ts';
import type { JobState } from '../resource/stream-deployment-status.ts';
import { triggerIdFor } from './ids.ts';

export const SNAPSHOT_FINALIZER = 'brook.dev/snapshot-finalizer';
/** Attempts of a user's savepoint before the snapshot is FAILED. */
export const SNAPSHOT_MAX_ATTEMPTS = 3;
const POLL_MS = 2_000;
const WAIT_MS = 10_000;

export interface SnapshotInput {
  snapshot: {
    uid: string;
    deleting: boolean;
    finalizers: readonly string[];
    /** Taken by the operator for its deployment (the deployment's reconcile writes its status). */
    operatorTaken: boolean;
    spec: StreamSnapshotSpec;
    status: StreamSnapshotStatus | undefined;
  };
  /** The StreamDeployment named by spec.deploymentName; undefined when there is none. */
  deployment:
    | {
        jobId?: string;
        jobState?: JobState;
        savepointsDir?: string;
        /** An upgrade, suspension or deletion is taking the job down. */
        busy: boolean;
        /** Savepoints the deployment started from, will start from or would roll back to: never disposed. */
        protectedPaths: readonly string[];
      }
    | undefined;
  /** The JobManager's answer for status.triggerId, when asked. */
  trigger?: { status: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED' | 'UNKNOWN'; path?: string; failure?: string };
  now: number;
}

export type SnapshotAction =
  | { type: 'none' }
  | { type: 'addFinalizer' }
  | { type: 'triggerSavepoint'; jobId: string; triggerId: string; targetDirectory: string }
  /** Delete the savepoint data at `path` (when given), then remove the finalizer. */
  | { type: 'release'; path?: string };

export interface SnapshotDecision {
  /** Write first (undefined: unchanged), then act. */
  status?: StreamSnapshotStatus;
  action: SnapshotAction;
  events: { type: 'Normal' | 'Warning'; reason: string; message: string }[];
  requeueAfterMs?: number;
}

const ended: ReadonlySet<JobState | undefined> = new Set(['FAILED', 'FINISHED', 'CANCELED', 'SUSPENDED']);

export function decideSnapshot(input: SnapshotInput): SnapshotDecision {
  const { snapshot } = input;
  const wantsFinalizer = snapshot.spec.disposeOnDelete;
  const hasFinalizer = snapshot.finalizers.includes(SNAPSHOT_FINALIZER);
  if (snapshot.deleting) return hasFinalizer ? release(input) : { action: { type: 'none' }, events: [] };
  if (wantsFinalizer && !hasFinalizer) return { action: { type: 'addFinalizer' }, events: [] };
  if (snapshot.operatorTaken) return { action: { type: 'none' }, events: [] };
  const status = snapshot.status ?? {};
  if (status.state === 'COMPLETED' || status.state === 'FAILED') return { action: { type: 'none' }, events: [] };
  if (snapshot.spec.alreadyExists) {
    return {
      status: { ...status, state: 'COMPLETED', path: snapshot.spec.path!, resultTimestamp: input.now },
      action: { type: 'none' },
      events: [{ type: 'Normal', reason: 'SnapshotRecorded', message: `savepoint ${snapshot.spec.path} recorded` }],
    };
  }
  return status.state === 'IN_PROGRESS' && status.triggerId !== undefined
    ? follow(input, status)
    : trigger(input, status);
}

function failed(status: StreamSnapshotStatus, now: number, error: string): SnapshotDecision {
  return {
    status: { ...status, state: 'FAILED', error, resultTimestamp: now },
    action: { type: 'none' },
    events: [{ type: 'Warning', reason: 'SnapshotFailed', message: error }],
  };
}

/** Trigger the savepoint once the deployment's job runs (and nothing else is taking it down). */
function trigger(input: SnapshotInput, status: StreamSnapshotStatus): SnapshotDecision {
  const { deployment, now } = input;
  const name = input.snapshot.spec.deploymentName;
  if (!deployment) return failed(status, now, `StreamDeployment ${name} does not exist`);
  if (deployment.jobId === undefined || ended.has(deployment.jobState))
    return failed(status, now, `job of StreamDeployment ${name} is ${deployment.jobState ?? 'not deployed'}`);
  const pending: StreamSnapshotStatus = { ...status, state: 'TRIGGER_PENDING' };
  if (deployment.savepointsDir === undefined)
    return failed(status, now, `StreamDeployment ${name} has no spec.config["state.savepoints.dir"]`);
  if (deployment.jobState !== 'RUNNING' || deployment.busy) {
    const waiting = `waiting for job ${deployment.jobId} to run (${deployment.busy ? 'an upgrade is in progress' : deployment.jobState})`;
    return { status: { ...pending, error: waiting }, action: { type: 'none' }, events: [], requeueAfterMs: WAIT_MS };
  }
  const attempt = (status.failures ?? 0) + 1;
  const triggerId = triggerIdFor(deployment.jobId, `snapshot-${input.snapshot.uid}`, attempt);
  const next: StreamSnapshotStatus = {
    ...status,
    state: 'IN_PROGRESS',
    triggerId,
    jobId: deployment.jobId,
    triggerTimestamp: now,
  };
  delete next.error;
  return {
    status: next,
    action: { type: 'triggerSavepoint', jobId: deployment.jobId, triggerId, targetDirectory: deployment.savepointsDir },
    events: [
      {
        type: 'Normal',
        reason: 'SnapshotTriggered',
        message: `savepoint of job ${deployment.jobId} triggered (${triggerId})`,
      },
    ],
    requeueAfterMs: POLL_MS,
  };
}

/** Follow the recorded trigger: completed, failed (retried up to SNAPSHOT_MAX_ATTEMPTS), or re-sent when unknown. */
function follow(input: SnapshotInput, status: StreamSnapshotStatus): SnapshotDecision {
  const seen = input.trigger;
  const { deployment, now } = input;
  if (seen?.status === 'COMPLETED' && seen.path !== undefined) {
    const next: StreamSnapshotStatus = { ...status, state: 'COMPLETED', path: seen.path, resultTimestamp: now };
    delete next.error;
    return {
      status: next,
      action: { type: 'none' },
      events: [{ type: 'Normal', reason: 'SnapshotCompleted', message: `savepoint completed at ${seen.path}` }],
    };
  }
  if (seen?.status === 'IN_PROGRESS') return { action: { type: 'none' }, events: [], requeueAfterMs: POLL_MS };
  const sameJob = deployment?.jobId === status.jobId;
  const running = sameJob && deployment?.jobState === 'RUNNING';
  if (seen?.status === 'UNKNOWN' && running && deployment?.savepointsDir !== undefined) {
    // Recorded but perhaps never sent (the operator stopped in between): the same id again.
    return {
      action: {
        type: 'triggerSavepoint',
        jobId: status.jobId!,
        triggerId: status.triggerId!,
        targetDirectory: deployment.savepointsDir,
      },
      events: [],
      requeueAfterMs: POLL_MS,
    };
  }
  if (seen === undefined && (running || (sameJob && !ended.has(deployment?.jobState)))) {
    return { action: { type: 'none' }, events: [], requeueAfterMs: POLL_MS }; // the JobManager did not answer; ask again
  }
  const why =
    seen?.status === 'FAILED'
      ? (seen.failure ?? 'the JobManager reported a failure')
      : `job ${status.jobId} is ${sameJob ? (deployment?.jobState ?? 'unknown') : 'no longer the deployment’s job'}`;
  const failures = (status.failures ?? 0) + 1;
  if (failures < SNAPSHOT_MAX_ATTEMPTS && running) {
    const retry = { ...status, state: 'TRIGGER_PENDING' as const, failures, error: why };
    return {
      status: retry,
      action: { type: 'none' },
      events: [
        { type: 'Warning', reason: 'SnapshotFailed', message: `attempt ${failures} failed: ${why}; trying again` },
      ],
      requeueAfterMs: 0,
    };
  }
  return failed({ ...status, failures }, now, `savepoint (trigger ${status.triggerId}) failed: ${why}`);
}

/** Deleting: dispose the data when asked and nothing still needs it, then let the snapshot go. */
function release(input: SnapshotInput): SnapshotDecision {
  const { spec, status } = input.snapshot;
  const path = status?.path ?? spec.path;
  if (!spec.disposeOnDelete || path === undefined) return { action: { type: 'release' }, events: [] };
  if (input.deployment?.protectedPaths.includes(path)) {
    return {
      action: { type: 'release' },
      events: [
        {
          type: 'Warning',
          reason: 'SnapshotKept',
          message: `savepoint ${path} is not deleted: StreamDeployment ${spec.deploymentName} restores or would roll back to it`,
        },
      ],
    };
  }
  return {
    action: { type: 'release', path },
    events: [{ type: 'Normal', reason: 'SnapshotDisposed', message: `deleting savepoint ${path} from storage` }],
  };
}
