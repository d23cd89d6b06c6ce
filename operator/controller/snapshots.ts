// The I/O around StreamSnapshots: after a StreamDeployment's reconcile, its
// operator-taken snapshots are brought in line with its status
// (snapshot-records.ts); a StreamSnapshot's own reconcile reads it and its
// deployment fresh, asks the JobManager about its trigger, decides
// (reconcile/snapshot.ts), writes the status with the resourceVersion read, then acts.
import { withDefaultConfig, type DefaultConfig } from '../resource/default-config.ts';
import type { Logger } from 'pino';
import { parseStreamDeployment } from '../resource/stream-deployment.ts';
import { parseStreamSnapshot, type StreamSnapshot } from '../resource/stream-snapshot.ts';
import { ResourceInvalidError } from '../resource/errors.ts';
import type { StreamDeploymentStatus } from '../resource/stream-deployment-status.ts';
import { runtimeKeys } from '../resource/config-keys.ts';
import { buildSnapshot, snapshotLabels } from '../children/snapshot.ts';
import { snapshotWrites, type ExistingSnapshot } from '../reconcile/snapshot-records.ts';
import { decideSnapshot, SNAPSHOT_FINALIZER, type SnapshotInput } from '../reconcile/snapshot.ts';
import { protectedSavepointPaths } from '../reconcile/savepoints.ts';
import type { EventRecorder } from './events.ts';
import type { Informer } from './informer.ts';
import type { KubeObject } from './kube-resources.ts';
import { isConflict, statusCodeOf, type KubeApi } from './kube-api.ts';
import { JobManagerRest, JobManagerRestError } from './jobmanager-rest.ts';
import type { StateStorage } from './state-storage.ts';

export interface SnapshotDependencies {
  api: KubeApi;
  /** The cache of StreamSnapshots. */
  snapshots: Informer;
  jobManagerUrl: (namespace: string, name: string) => string;
  restTimeoutMs: number;
  storage: StateStorage;
  events: EventRecorder;
  isLeader: () => boolean;
  /** The operator's default configuration, under each deployment's own. */
  defaultConfig: DefaultConfig;
}

/** Makes the operator-taken snapshots of one deployment say what its (just written) status says. */
export async function syncDeploymentSnapshots(
  deps: SnapshotDependencies,
  deployment: { name: string; namespace: string; uid: string },
  status: StreamDeploymentStatus,
  now: number,
  log: Logger,
): Promise<void> {
  const existing: ExistingSnapshot[] = deps.snapshots
    .list()
    .filter(
      (o) =>
        o.metadata?.namespace === deployment.namespace &&
        o.metadata.labels?.[snapshotLabels.deployment] === deployment.name &&
        o.metadata.labels[snapshotLabels.takenBy] === 'operator',
    )
    .map((o) => {
      const s = o as unknown as StreamSnapshot;
      return {
        name: s.metadata.name,
        ...(s.spec?.path !== undefined ? { path: s.spec.path } : {}),
        ...(s.status ? { status: s.status } : {}),
      };
    });
  for (const write of snapshotWrites(deployment.name, status, existing, now)) {
    if (!deps.isLeader()) return;
    switch (write.type) {
      case 'create': {
        const body = buildSnapshot(deployment, write.record);
        try {
          await deps.api.createStreamSnapshot(deployment.namespace, body);
        } catch (error) {
          if (statusCodeOf(error) !== 409) throw error; // already there (the cache lags): its status is set below
        }
        await deps.api.patchStreamSnapshotStatus(deployment.namespace, write.record.name, write.record.status);
        log.debug({ snapshot: write.record.name, state: write.record.status.state }, 'StreamSnapshot recorded');
        break;
      }
      case 'status':
        await deps.api.patchStreamSnapshotStatus(deployment.namespace, write.name, write.status);
        break;
      case 'delete':
        await deps.api.deleteStreamSnapshot(deployment.namespace, write.name);
        log.debug({ snapshot: write.name }, 'StreamSnapshot of a disposed savepoint deleted');
        break;
    }
  }
}

export type SnapshotReconcileResult = 'success' | 'conflict' | 'gone' | 'invalid' | 'not-leader';

/** Whether a cached StreamSnapshot has anything left to do (the resync skips those that do not). */
export function snapshotNeedsReconcile(object: KubeObject): boolean {
  const s = object as unknown as StreamSnapshot;
  if (s.metadata.deletionTimestamp !== undefined) return true;
  if (s.metadata.labels?.[snapshotLabels.takenBy] === 'operator') return false;
  if (s.spec?.disposeOnDelete && !(s.metadata.finalizers ?? []).includes(SNAPSHOT_FINALIZER)) return true;
  return s.status?.state !== 'COMPLETED' && s.status?.state !== 'FAILED';
}

/** One reconcile of one StreamSnapshot. */
export async function reconcileSnapshot(
  deps: SnapshotDependencies,
  namespace: string,
  name: string,
  log: Logger,
): Promise<{ result: SnapshotReconcileResult; requeueAfterMs?: number }> {
  const raw = await deps.api.getStreamSnapshot(namespace, name);
  if (!raw) return { result: 'gone' };
  let snapshot: StreamSnapshot;
  try {
    snapshot = parseStreamSnapshot(raw);
  } catch (error) {
    if (!(error instanceof ResourceInvalidError)) throw error;
    log.warn({ err: error }, 'StreamSnapshot refused');
    return { result: 'invalid' };
  }
  const metadata = snapshot.metadata;
  const finalizers = metadata.finalizers ?? [];
  const deploymentName = snapshot.spec.deploymentName;
  const rawDeployment = await deps.api.getStreamDeployment(namespace, deploymentName);
  let deployment: SnapshotInput['deployment'];
  if (rawDeployment) {
    try {
      const d = parseStreamDeployment(rawDeployment);
      const config = withDefaultConfig(d.spec, deps.defaultConfig).config;
      const deployedConfig = (d.status?.reconciliationStatus?.lastReconciledSpec as { config?: Record<string, string> })
        ?.config;
      const savepointsDir = deployedConfig?.[runtimeKeys.savepointsDir] ?? config[runtimeKeys.savepointsDir];
      deployment = {
        ...(d.status?.jobStatus?.jobId !== undefined ? { jobId: d.status.jobStatus.jobId } : {}),
        ...(d.status?.jobStatus?.state !== undefined ? { jobState: d.status.jobStatus.state } : {}),
        ...(savepointsDir !== undefined ? { savepointsDir } : {}),
        busy: d.status?.reconciliationStatus?.operation !== undefined || d.metadata.deletionTimestamp !== undefined,
        protectedPaths: protectedSavepointPaths(d.status),
      };
    } catch (error) {
      if (!(error instanceof ResourceInvalidError)) throw error;
    }
  }
  const rest = new JobManagerRest(deps.jobManagerUrl(namespace, deploymentName), deps.restTimeoutMs);
  const status = snapshot.status;
  let trigger: SnapshotInput['trigger'];
  const operatorTaken = metadata.labels?.[snapshotLabels.takenBy] === 'operator';
  // An operator-taken snapshot's trigger is followed by its deployment's reconcile, not here.
  if (
    !operatorTaken &&
    status?.state === 'IN_PROGRESS' &&
    status.triggerId !== undefined &&
    status.jobId !== undefined
  ) {
    try {
      trigger = await rest.trigger(status.jobId, status.triggerId);
    } catch (error) {
      log.debug({ err: error }, 'savepoint trigger status not available');
    }
  }
  const decision = decideSnapshot({
    snapshot: {
      uid: metadata.uid ?? '',
      deleting: metadata.deletionTimestamp !== undefined,
      finalizers,
      operatorTaken,
      spec: snapshot.spec,
      status,
    },
    deployment,
    ...(trigger ? { trigger } : {}),
    now: Date.now(),
  });
  if (!deps.isLeader()) return { result: 'not-leader' };
  let resourceVersion = metadata.resourceVersion ?? '';
  if (decision.status) {
    try {
      resourceVersion = await deps.api.patchStreamSnapshotStatus(namespace, name, decision.status, resourceVersion);
    } catch (error) {
      if (isConflict(error)) return { result: 'conflict', requeueAfterMs: 0 };
      throw error;
    }
  }
  const subject = { name, namespace, uid: metadata.uid ?? '', kind: 'StreamSnapshot' as const };
  const { action } = decision;
  switch (action.type) {
    case 'none':
      break;
    case 'addFinalizer':
      await deps.api.setStreamSnapshotFinalizers({ name, namespace, resourceVersion }, [
        ...finalizers,
        SNAPSHOT_FINALIZER,
      ]);
      break;
    case 'triggerSavepoint':
      try {
        await rest.triggerSavepoint(action.jobId, action.triggerId, action.targetDirectory, false);
      } catch (error) {
        // 409: not running, or busy; the next look at the trigger says which.
        if (!(error instanceof JobManagerRestError && error.status === 409)) throw error;
      }
      break;
    case 'release':
      if (action.path !== undefined) await deps.storage.disposeSavepoint(action.path);
      await deps.api.setStreamSnapshotFinalizers(
        { name, namespace, resourceVersion },
        finalizers.filter((f) => f !== SNAPSHOT_FINALIZER),
      );
      break;
  }
  for (const event of decision.events) await deps.events.record(subject, event, log);
  return {
    result: 'success',
    ...(decision.requeueAfterMs !== undefined ? { requeueAfterMs: decision.requeueAfterMs } : {}),
  };
}
