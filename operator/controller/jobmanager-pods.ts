// Reads the JobManager's pods for a container that keeps failing (pure): the
// Deployment only says "not ready", the pods say why, as the Flink operator
// checks them for CrashLoopBackOff.
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { jobIdAnnotation } from '../children/labels.ts';
import type { FailingContainer } from '../reconcile/observation.ts';

/**
 * The failing container among pods not being deleted: one that cannot start first, else the one with the
 * most restarts; undefined when none fails.
 */
export function failingContainerOf(pods: readonly V1Pod[]): FailingContainer | undefined {
  let worst: FailingContainer | undefined;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp !== undefined) continue;
    for (const status of pod.status?.containerStatuses ?? []) {
      const failing = failingContainer(pod, status);
      if (failing && (!worst || worse(failing, worst))) worst = failing;
    }
  }
  return worst;
}

/**
 * Waiting reasons the kubelet keeps retrying, mostly without success until the spec or what it refers to
 * changes (crash-loop.ts waits a grace period before it believes so). ErrImagePull is left out: it is the
 * first failed pull, and the next may succeed; ImagePullBackOff follows. So is CreateContainerError: the
 * container runtime's own trouble (a name conflict, a slow disk) that the next attempt often gets past.
 */
const cannotStartReasons: ReadonlySet<string> = new Set([
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
]);

/** ms since the epoch of a time the client gives as a Date (typed API) or as text (plain JSON). */
function epochMs(time: Date | string | undefined): number | undefined {
  if (time === undefined) return undefined;
  const ms = new Date(time).getTime();
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Since when a waiting container has waited, from what the pod's status keeps (so a restarted operator
 * reads the same): since its last run ended, else since the kubelet took the pod, else since the pod was
 * created.
 */
function waitingSince(pod: V1Pod, status: V1ContainerStatus): number | undefined {
  return (
    epochMs(status.lastState?.terminated?.finishedAt) ??
    epochMs(pod.status?.startTime) ??
    epochMs(pod.metadata?.creationTimestamp)
  );
}

function failingContainer(pod: V1Pod, status: V1ContainerStatus): FailingContainer | undefined {
  const waiting = status.state?.waiting;
  const jobId = pod.metadata?.annotations?.[jobIdAnnotation];
  if (waiting?.reason !== undefined && cannotStartReasons.has(waiting.reason)) {
    const why = waiting.message?.trim();
    const since = waitingSince(pod, status);
    return {
      pod: pod.metadata?.name ?? '',
      container: status.name,
      ...(jobId !== undefined ? { jobId } : {}),
      reason: waiting.reason,
      restarts: status.restartCount,
      ...(why ? { message: why } : {}),
      cannotStart: true,
      ...(since !== undefined ? { waitingSince: since } : {}),
    };
  }
  const backOff = waiting?.reason === 'CrashLoopBackOff';
  // Terminated now (about to restart) or before (running again, or waiting to).
  const terminated = status.state?.terminated ?? status.lastState?.terminated;
  const failedExit = terminated !== undefined && terminated.exitCode !== 0;
  if (!backOff && !failedExit) return undefined;
  const message = terminated?.message?.trim();
  return {
    pod: pod.metadata?.name ?? '',
    container: status.name,
    ...(jobId !== undefined ? { jobId } : {}),
    reason: backOff ? 'CrashLoopBackOff' : (terminated?.reason ?? 'Error'),
    ...(terminated !== undefined ? { exitCode: terminated.exitCode } : {}),
    restarts: status.restartCount,
    ...(message ? { message } : {}),
  };
}

function worse(a: FailingContainer, b: FailingContainer): boolean {
  if (a.cannotStart !== b.cannotStart) return a.cannotStart === true;
  return a.restarts > b.restarts;
}
