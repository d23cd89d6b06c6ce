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
 * Waiting reasons the kubelet keeps retrying without success until the spec or what it refers to changes.
 * ErrImagePull is left out: it is the first failed pull, and the next may succeed; ImagePullBackOff follows.
 */
const cannotStartReasons: ReadonlySet<string> = new Set([
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
]);

function failingContainer(pod: V1Pod, status: V1ContainerStatus): FailingContainer | undefined {
  const waiting = status.state?.waiting;
  const jobId = pod.metadata?.annotations?.[jobIdAnnotation];
  if (waiting?.reason !== undefined && cannotStartReasons.has(waiting.reason)) {
    const why = waiting.message?.trim();
    return {
      pod: pod.metadata?.name ?? '',
      container: status.name,
      ...(jobId !== undefined ? { jobId } : {}),
      reason: waiting.reason,
      restarts: status.restartCount,
      ...(why ? { message: why } : {}),
      cannotStart: true,
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
