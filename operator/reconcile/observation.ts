// What the observer saw, handed to decide(): the children's existence and
// readiness, the job through the JobManager REST API, and the answers to the
// questions the status asked (a savepoint trigger, the latest checkpoint in storage).
import type { SavepointRecord } from '../resource/stream-deployment-status.ts';
import type { JobState } from '../resource/stream-deployment-status.ts';

export interface ObservedCheckpoint {
  id: number;
  path: string;
  /** Completion time, ms since the epoch. */
  timestamp: number;
}

/**
 * A JobManager pod's container that keeps failing, from the pod's status: waiting in
 * CrashLoopBackOff, or (last) terminated with a non-zero exit code.
 */
export interface FailingContainer {
  pod: string;
  container: string;
  /** The job the pod was deployed for (its brook.dev/job-id annotation): a replaced job's pods are not this job's. */
  jobId?: string;
  /**
   * CrashLoopBackOff when the kubelet waits to restart it, the waiting reason of one that cannot start
   * (ImagePullBackOff, CreateContainerConfigError...), else the termination's reason (Error, OOMKilled...).
   */
  reason: string;
  exitCode?: number;
  restarts: number;
  /** The termination message (with FallbackToLogsOnError, the tail of its log), or why it cannot be started. */
  message?: string;
  /**
   * Waiting for what usually only a change brings (an image that cannot be pulled, a missing Secret or
   * ConfigMap key): it never runs, so it never counts a restart.
   */
  cannotStart?: boolean;
  /**
   * Of one that cannot start: since when it has waited (ms since the epoch), from the pod's status: its last
   * termination, else the pod's start, else its creation. Undefined when the pod tells none of these.
   */
  waitingSince?: number;
}

export interface Observation {
  /** ms since the epoch; decide reads no clock of its own. */
  now: number;
  /** metadata.uid and metadata.generation of the StreamDeployment. */
  uid: string;
  generation: number;
  deletionRequested: boolean;
  jobManager: {
    exists: boolean;
    ready: boolean;
    deploymentHash?: string;
    problem?: string;
    /** Read from its pods only while the Deployment is not ready. */
    failingContainer?: FailingContainer;
  };
  taskManagers: { exists: boolean; desired: number; ready: number };
  /** Undefined when the REST API did not answer. */
  rest?: {
    /** The job the JobManager runs, if any. */
    job?: { id: string; state: JobState; startTime?: number; restarts: number; failure?: string };
    latestCheckpoint?: ObservedCheckpoint;
  };
  /** The trigger the status names (see triggerToObserve); UNKNOWN when the JobManager does not know it. */
  savepointTrigger?: {
    triggerId: string;
    status: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED' | 'UNKNOWN';
    path?: string;
    failure?: string;
  };
  /** The newest complete checkpoint in storage of the job the status names (see checkpointLookup). */
  storedCheckpoint?: { jobId: string; checkpoint?: ObservedCheckpoint };
  /** Savepoints users took of this deployment's jobs through StreamSnapshots they created (COMPLETED ones). */
  userSavepoints?: SavepointRecord[];
  /**
   * How the job being stopped with a savepoint ended, from its `_job-ended` marker in checkpoint
   * storage (see jobEndingLookup); `ending` undefined when there is no marker.
   */
  jobEnding?: { jobId: string; ending?: { state: 'FINISHED' | 'CANCELED' | 'FAILED'; at: number; savepoint?: string } };
  /** Of the paths in savepointInfo.disposing, those no longer in storage. */
  disposedPaths?: string[];
}
