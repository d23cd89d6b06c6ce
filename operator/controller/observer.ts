// Observe: everything decide() needs to know about one StreamDeployment's
// world, gathered fresh for each reconcile: its Deployments from the informer
// cache, its job through the JobManager REST API, the savepoint trigger its
// status names, the newest checkpoint and a stopped job's end marker in
// storage, disposals that finished, savepoints users took through their own
// StreamSnapshots, and, while the JobManager is not ready, its pods (a
// container that keeps failing).
import type { Logger } from 'pino';
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { StreamDeployment } from '../resource/stream-deployment.ts';
import { runtimeKeys } from '../resource/config-keys.ts';
import { childNames } from '../children/names.ts';
import { deploymentHashAnnotation, selectorLabels } from '../children/labels.ts';
import type { Observation } from '../reconcile/observation.ts';
import {
  checkpointLookup,
  disposalsToCheck,
  jobEndingLookup,
  triggerToObserve,
} from '../reconcile/observation-requests.ts';
import type { Informer } from './informer.ts';
import type { KubeObject } from './kube-resources.ts';
import { JobManagerRest } from './jobmanager-rest.ts';
import type { StateStorage } from './state-storage.ts';
import { failingContainerOf } from './jobmanager-pods.ts';
import { userSavepointsOf } from './user-savepoints.ts';

export interface ObserverDependencies {
  /** The cache of the Deployments the operator owns. */
  deployments: Informer;
  /** Lists pods by label selector (list on pods in the watched namespaces). */
  api: { listPods(namespace: string, labelSelector: string): Promise<V1Pod[]> };
  /** The REST address of a StreamDeployment's JobManager. */
  jobManagerUrl: (namespace: string, name: string) => string;
  storage: StateStorage;
  restTimeoutMs: number;
  /** The cache of StreamSnapshots: users' savepoints count as the deployment's state too. */
  snapshots?: Informer;
}

export async function observe(
  deps: ObserverDependencies,
  resource: StreamDeployment,
  now: number,
  log: Logger,
): Promise<Observation> {
  const { name, namespace = '', uid = '', generation = 0, deletionTimestamp } = resource.metadata;
  const names = childNames(name);
  const jm = owned(deps.deployments.get(namespace, names.jobManager), uid);
  const tm = owned(deps.deployments.get(namespace, names.taskManager), uid);
  const observation: Observation = {
    now,
    uid,
    generation,
    deletionRequested: deletionTimestamp !== undefined,
    jobManager: jobManagerView(jm),
    taskManagers: {
      exists: tm !== undefined,
      desired: tm?.spec?.replicas ?? 0,
      ready: tm?.status?.readyReplicas ?? 0,
    },
  };
  if (jm && !observation.jobManager.ready) {
    try {
      const selector = Object.entries(selectorLabels(name, 'jobmanager'))
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      const failing = failingContainerOf(await deps.api.listPods(namespace, selector));
      if (failing) observation.jobManager.failingContainer = failing;
    } catch (error) {
      // Without the pods the readiness timeout still applies; say why the crash loop goes unseen.
      log.warn({ err: error }, 'cannot list the JobManager pods');
    }
  }
  const status = resource.status;
  if (deps.snapshots) {
    const savepoints = userSavepointsOf(deps.snapshots.list(), {
      namespace,
      name,
      uid,
      deploySequence: status?.reconciliationStatus?.deploySequence,
    });
    if (savepoints.length > 0) observation.userSavepoints = savepoints;
  }
  const rest = jm ? new JobManagerRest(deps.jobManagerUrl(namespace, name), deps.restTimeoutMs) : undefined;
  if (rest) {
    try {
      observation.rest = await observeJob(rest, status?.jobStatus?.jobId);
    } catch (error) {
      log.debug({ err: error }, 'JobManager REST API did not answer');
    }
  }
  const trigger = triggerToObserve(status);
  if (trigger && rest && observation.rest) {
    try {
      const seen = await rest.trigger(trigger.jobId, trigger.triggerId);
      observation.savepointTrigger = { triggerId: trigger.triggerId, ...seen };
    } catch (error) {
      log.debug({ err: error, triggerId: trigger.triggerId }, 'savepoint trigger status not available');
    }
  }
  // Storage of the deployed spec: the job being taken down wrote there, whatever the spec says now.
  const deployed = status?.reconciliationStatus?.lastReconciledSpec as { config?: Record<string, string> } | undefined;
  const checkpointsDir =
    deployed?.config?.[runtimeKeys.checkpointsDir] ?? resource.spec.config[runtimeKeys.checkpointsDir];
  const lookup = checkpointLookup(status);
  if (lookup !== undefined) {
    const checkpoint =
      checkpointsDir === undefined ? undefined : await deps.storage.latestCheckpoint(checkpointsDir, lookup);
    observation.storedCheckpoint = { jobId: lookup, ...(checkpoint ? { checkpoint } : {}) };
  }
  const endingOf = jobEndingLookup(status, observation.savepointTrigger);
  if (endingOf !== undefined) {
    const ending = checkpointsDir === undefined ? undefined : await deps.storage.jobEnding(checkpointsDir, endingOf);
    observation.jobEnding = { jobId: endingOf, ...(ending ? { ending } : {}) };
  }
  const disposing = disposalsToCheck(status);
  if (disposing.length > 0) observation.disposedPaths = await gone(deps.storage, disposing, log);
  return observation;
}

function owned(object: KubeObject | undefined, uid: string): V1Deployment | undefined {
  const ours = object?.metadata?.ownerReferences?.some((ref) => ref.uid === uid) ?? false;
  return ours ? (object as V1Deployment) : undefined;
}

function jobManagerView(jm: V1Deployment | undefined): Observation['jobManager'] {
  if (!jm) return { exists: false, ready: false };
  const conditions = jm.status?.conditions ?? [];
  const failure = conditions.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  const stuck = conditions.find((c) => c.type === 'Progressing' && c.status === 'False');
  const problem = failure?.message ?? stuck?.message;
  const hash = jm.metadata?.annotations?.[deploymentHashAnnotation];
  const terminating = jm.metadata?.deletionTimestamp !== undefined;
  return {
    exists: true,
    ready: !terminating && (jm.status?.readyReplicas ?? 0) >= 1,
    ...(hash !== undefined ? { deploymentHash: hash } : {}),
    ...(problem !== undefined ? { problem } : {}),
  };
}

/** The job the status names if the JobManager runs it, else the one it runs; `{}` when it runs none. */
async function observeJob(rest: JobManagerRest, wanted: string | undefined): Promise<NonNullable<Observation['rest']>> {
  const ids = await rest.jobIds();
  const id = wanted !== undefined && ids.includes(wanted) ? wanted : ids[0];
  if (id === undefined) return {};
  const job = await rest.job(id);
  const failure = job.state === 'FAILED' || job.state === 'FAILING' ? await rest.rootException(id) : undefined;
  const latestCheckpoint = await rest.latestCheckpoint(id);
  return {
    job: { ...job, ...(failure !== undefined ? { failure } : {}) },
    ...(latestCheckpoint ? { latestCheckpoint } : {}),
  };
}

async function gone(storage: StateStorage, paths: string[], log: Logger): Promise<string[]> {
  const result: string[] = [];
  for (const path of paths) {
    try {
      if (!(await storage.savepointExists(path))) result.push(path);
    } catch (error) {
      log.warn({ err: error, path }, 'cannot check whether a disposed savepoint is gone');
    }
  }
  return result;
}
