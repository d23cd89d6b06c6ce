// What decide() returns: the status to write first, then one action to take,
// the events to record and when to look again.
import type { StreamDeploymentSpec } from '../resource/stream-deployment-spec.ts';
import type { RestoreRecord, StreamDeploymentStatus } from '../resource/stream-deployment-status.ts';

export type Action =
  | { type: 'none' }
  /** Create or update the ConfigMap, Service and both Deployments for this spec, job id and restore. */
  | { type: 'deploy'; spec: StreamDeploymentSpec; jobId: string; restore: RestoreRecord; deploymentHash: string }
  /** POST /jobs/:id/stop (stop) or /jobs/:id/savepoints with this triggerId, so sending it twice takes one savepoint. */
  | { type: 'triggerSavepoint'; jobId: string; triggerId: string; targetDirectory: string; stop: boolean }
  | { type: 'cancelJob'; jobId: string }
  /** Delete the JobManager and TaskManager Deployments (the ConfigMap and Service stay). */
  | { type: 'deleteCluster' }
  /** Delete these savepoints from storage (and their StreamSnapshots). */
  | { type: 'disposeSavepoints'; paths: string[] }
  | { type: 'removeFinalizer' };

export interface OperatorEvent {
  type: 'Normal' | 'Warning';
  reason:
    | 'Submit'
    | 'SpecChanged'
    | 'UpgradeWaiting'
    | 'Suspended'
    | 'Resumed'
    | 'SavepointTriggered'
    | 'SavepointCompleted'
    | 'SavepointError'
    | 'Rollback'
    | 'RecoverDeployment'
    | 'JobFailed'
    | 'JobManagerCrashLoop'
    | 'JobManagerCannotStart'
    | 'Restart'
    | 'Stable'
    | 'ValidationError'
    | 'Cleanup'
    | 'Deleting';
  message: string;
}

export interface Decision {
  /** Write this (with the resourceVersion read) before acting; if the write fails, do not act. */
  status: StreamDeploymentStatus;
  action: Action;
  events: OperatorEvent[];
  /** Reconcile again after this long even if nothing changes. */
  requeueAfterMs: number;
}
