// The status of a StreamDeployment, written only by the operator. It is the
// operator's write-ahead log: every step of an upgrade, suspension, restart or
// rollback is recorded here (with the state to restore) before it is acted on.
import { z } from 'zod';
import { allJobStates } from '../../runtime/cluster/jobs-backend.ts';

export const lifecycleStates = [
  'CREATED',
  'DEPLOYED',
  'STABLE',
  'UPGRADING',
  'SUSPENDED',
  'FAILED',
  'ROLLING_BACK',
  'ROLLED_BACK',
  'DELETING',
] as const;
export type LifecycleState = (typeof lifecycleStates)[number];

/** Flink's job states, in its order; here RECONCILING means not known yet, SUSPENDED torn down on purpose. */
export const jobStates = allJobStates;
export type JobState = (typeof jobStates)[number];

export const snapshotTriggerTypes = ['manual', 'periodic', 'upgrade'] as const;
export type SnapshotTriggerType = (typeof snapshotTriggerTypes)[number];

/** A spec as recorded in status; kept whole, unchecked by the API server. */
const recordedSpec = z.record(z.string(), z.unknown()).meta({ 'x-kubernetes-preserve-unknown-fields': true });

const savepointSchema = z.object({
  path: z.string(),
  /** When it completed, ms since the epoch. */
  timestamp: z.number().int(),
  triggerType: z.enum(snapshotTriggerTypes),
  jobId: z.string(),
  /** The StreamSnapshot that records it. */
  snapshotName: z.string().optional(),
  /** The savepoint trigger that produced it. */
  triggerId: z.string().optional(),
});
export type SavepointRecord = z.infer<typeof savepointSchema>;

const checkpointSchema = z.object({
  id: z.number().int(),
  path: z.string(),
  timestamp: z.number().int(),
  jobId: z.string(),
});
export type CheckpointRecord = z.infer<typeof checkpointSchema>;

/** A savepoint asked of the JobManager; the trigger id is chosen and recorded before asking, so asking twice is harmless. */
const savepointTriggerSchema = z.object({
  triggerId: z.string(),
  triggerType: z.enum(snapshotTriggerTypes),
  triggeredAt: z.number().int(),
  jobId: z.string(),
  /** The savepointTriggerNonce it answers, for manual savepoints. */
  nonce: z.number().int().optional(),
});
export type SavepointTrigger = z.infer<typeof savepointTriggerSchema>;

/** The state a deployment restores from: a savepoint or checkpoint path, or nothing (empty state). */
const restoreSchema = z.object({
  path: z.string().optional(),
  source: z.enum(['none', 'initial', 'savepoint', 'checkpoint']),
  /** The job whose state this is. */
  fromJobId: z.string().optional(),
  recordedAt: z.number().int(),
});
export type RestoreRecord = z.infer<typeof restoreSchema>;

export const operationKinds = ['upgrade', 'suspend', 'restart', 'rollback', 'delete'] as const;
export type OperationKind = (typeof operationKinds)[number];

export const operationPhases = [
  /** A savepoint is wanted but the job is between states (restarting, starting): wait, bounded, for it to run. */
  'WAITING_FOR_JOB',
  'SAVEPOINTING',
  'CANCELLING',
  'TEARING_DOWN',
  'LOCATING_CHECKPOINT',
  'BLOCKED',
] as const;
export type OperationPhase = (typeof operationPhases)[number];

/**
 * The operation in flight: taking the running job down while keeping its state,
 * so that the next deployment restores exactly what is recorded here.
 */
const operationSchema = z.object({
  kind: z.enum(operationKinds),
  /** How the state is carried over: savepoint, latest checkpoint, or not at all. */
  mode: z.enum(['stateless', 'savepoint', 'last-state']),
  phase: z.enum(operationPhases),
  /** The resource generation that started it. */
  generation: z.number().int(),
  startedAt: z.number().int(),
  phaseSince: z.number().int(),
  /** The job being taken down. */
  fromJobId: z.string().optional(),
  savepoint: z
    .object({
      triggerId: z.string(),
      triggeredAt: z.number().int(),
      attempt: z.number().int(),
      path: z.string().optional(),
    })
    .optional(),
  /** The state the next deployment restores, once known (recorded before the cluster is torn down when possible). */
  restore: restoreSchema.optional(),
  /** Why the operation waits or fell back (for example, no savepoint possible because the job is not running). */
  note: z.string().optional(),
});
export type Operation = z.infer<typeof operationSchema>;

const conditionSchema = z.object({
  type: z.string(),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string(),
  message: z.string(),
  lastTransitionTime: z.string(),
  observedGeneration: z.number().int().optional(),
});
export type Condition = z.infer<typeof conditionSchema>;

export const streamDeploymentStatusSchema = z.object({
  observedGeneration: z.number().int().optional(),
  lifecycleState: z.enum(lifecycleStates).optional(),
  jobManagerDeploymentStatus: z.enum(['READY', 'DEPLOYED_NOT_READY', 'DEPLOYING', 'MISSING', 'ERROR']).optional(),
  jobStatus: z
    .object({
      jobId: z.string().optional(),
      state: z.enum(jobStates).optional(),
      startTime: z.number().int().optional(),
      updateTime: z.number().int().optional(),
      /** When the job was last seen to start running without restarts since; stability counts from here. */
      runningSince: z.number().int().optional(),
      /** Why the current job failed, as the JobManager reported it (kept after the JobManager is gone). */
      failureCause: z.string().optional(),
      /** Restarts of the current job as the runtime counts them. */
      restarts: z.number().int().optional(),
      /** The state the current job was started from. */
      restoredFrom: restoreSchema.optional(),
      savepointInfo: z
        .object({
          lastSavepoint: savepointSchema.optional(),
          pendingTrigger: savepointTriggerSchema.optional(),
          lastTriggerNonce: z.number().int().optional(),
          lastPeriodicSavepointTimestamp: z.number().int().optional(),
          history: z.array(savepointSchema).optional(),
          /** Savepoints being deleted from storage; they leave this list once they are gone. */
          disposing: z.array(z.string()).optional(),
        })
        .optional(),
      checkpointInfo: z.object({ lastCheckpoint: checkpointSchema.optional() }).optional(),
      /** Restarts by job.restartPolicy after the job ended FAILED. */
      failureRestarts: z
        .object({
          attempts: z.number().int(),
          lastAttemptAt: z.number().int().optional(),
          nextAttemptAt: z.number().int().optional(),
        })
        .optional(),
    })
    .optional(),
  reconciliationStatus: z
    .object({
      state: z.enum(['DEPLOYED', 'UPGRADING', 'ROLLING_BACK', 'ROLLED_BACK']).optional(),
      lastReconciledSpec: recordedSpec.optional(),
      lastStableSpec: recordedSpec.optional(),
      reconciliationTimestamp: z.number().int().optional(),
      /** When the deployment of lastReconciledSpec was written; the readiness timeout counts from here. */
      deployedAt: z.number().int().optional(),
      /** Counts deployments; it names each job id. */
      deploySequence: z.number().int().optional(),
      operation: operationSchema.optional(),
      /** State recorded by a finished operation for the next deployment (kept while suspended). */
      pendingRestore: restoreSchema.optional(),
      /** The state the current spec was first deployed from: what a rollback restores. */
      rollbackRestore: restoreSchema.optional(),
      /** Hash of a spec that was rolled back; it is not tried again until the spec changes. */
      rolledBackSpecHash: z.string().optional(),
    })
    .optional(),
  error: z.object({ reason: z.string(), message: z.string(), timestamp: z.number().int() }).optional(),
  conditions: z.array(conditionSchema).optional(),
  /** For the scale subresource. */
  taskManager: z.object({ replicas: z.number().int(), labelSelector: z.string() }).optional(),
});

export type StreamDeploymentStatus = z.infer<typeof streamDeploymentStatusSchema>;
