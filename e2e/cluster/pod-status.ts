// A pod's status from what its worker knows (pure): phase by the kubelet's
// rules, the standard conditions with stable transition times, and container
// statuses with their current and last states.
import type { ContainerState, ContainerStatus, PodCondition, PodStatus } from './objects.ts';

export interface ContainerRecord {
  name: string;
  image: string;
  imageID: string;
  containerID?: string;
  restartCount: number;
  state: ContainerState;
  lastState: ContainerState;
  ready: boolean;
  started: boolean;
}

export interface PodRecord {
  restartPolicy: 'Always' | 'OnFailure' | 'Never';
  hostIP: string;
  podIP?: string;
  startTime: string;
  /** The sandbox (address, directories, volumes) exists, so containers can start. */
  sandboxReady: boolean;
  initContainers: ContainerRecord[];
  containers: ContainerRecord[];
  /** No container will start again: the pod is being deleted, or it ran to its end. */
  terminal: boolean;
  /** A pod-level failure (an unsupported volume, say): the pod fails with this reason and message. */
  failure?: { reason: string; message: string };
}

type Phase = NonNullable<PodStatus['phase']>;

const succeeded = (c: ContainerRecord) => c.state.terminated?.exitCode === 0;

/** The init containers are done: all exited with 0. */
export function initialized(record: PodRecord): boolean {
  return record.initContainers.every(succeeded);
}

/** The kubelet's getPhase, for one pod's records. */
export function podPhase(record: PodRecord): Phase {
  if (record.failure) return 'Failed';
  const initFailed = record.initContainers.some(
    (c) => c.state.terminated !== undefined && c.state.terminated.exitCode !== 0,
  );
  if (initFailed && (record.restartPolicy === 'Never' || record.terminal)) return 'Failed';
  if (!initialized(record)) return 'Pending';
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let stoppedOk = 0;
  for (const c of record.containers) {
    if (c.state.running) running++;
    else if (c.state.terminated) {
      stopped++;
      if (c.state.terminated.exitCode === 0) stoppedOk++;
    } else if (c.lastState.terminated) stopped++;
    else waiting++;
  }
  if (record.terminal && running === 0) {
    return waiting === 0 && stopped > 0 && stopped === stoppedOk ? 'Succeeded' : 'Failed';
  }
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (record.restartPolicy === 'Always') return 'Running';
  if (stopped === stoppedOk) return 'Succeeded';
  return record.restartPolicy === 'OnFailure' ? 'Running' : 'Failed';
}

function condition(
  type: string,
  ok: boolean,
  previous: PodCondition[] | undefined,
  now: string,
  reason?: string,
  message?: string,
): PodCondition {
  const status = ok ? 'True' : 'False';
  const before = previous?.find((c) => c.type === type);
  const lastTransitionTime = before?.status === status && before.lastTransitionTime ? before.lastTransitionTime : now;
  return {
    type,
    status,
    lastProbeTime: null,
    lastTransitionTime,
    ...(!ok && reason ? { reason } : {}),
    ...(!ok && message ? { message } : {}),
  };
}

function containerStatus(c: ContainerRecord): ContainerStatus {
  return {
    name: c.name,
    image: c.image,
    imageID: c.imageID,
    ...(c.containerID ? { containerID: c.containerID } : {}),
    ready: c.ready,
    started: c.started,
    restartCount: c.restartCount,
    state: c.state,
    lastState: c.lastState,
  };
}

/**
 * The status to write: `previous` is the status last written (for transition
 * times), `scheduled` the PodScheduled condition the binding set.
 */
export function podStatus(
  record: PodRecord,
  previous: PodStatus | undefined,
  scheduled: PodCondition | undefined,
  now: string,
): PodStatus {
  const phase = podPhase(record);
  const ended = phase === 'Succeeded' || phase === 'Failed';
  const before = previous?.conditions;
  const unready = record.containers.filter((c) => !c.ready).map((c) => c.name);
  const containersReady = !ended && unready.length === 0;
  const notReadyReason = ended ? 'PodCompleted' : 'ContainersNotReady';
  const notReadyMessage = ended ? undefined : `containers with unready status: [${unready.join(' ')}]`;
  const notInitialized = record.initContainers.filter((c) => !succeeded(c)).map((c) => c.name);
  const conditions = [
    condition('PodReadyToStartContainers', record.sandboxReady && !ended, before, now),
    condition(
      'Initialized',
      notInitialized.length === 0,
      before,
      now,
      'ContainersNotInitialized',
      `containers with incomplete status: [${notInitialized.join(' ')}]`,
    ),
    condition('Ready', containersReady, before, now, notReadyReason, notReadyMessage),
    condition('ContainersReady', containersReady, before, now, notReadyReason, notReadyMessage),
    ...(scheduled ? [scheduled] : []),
  ];
  const ips = record.podIP ? { podIP: record.podIP, podIPs: [{ ip: record.podIP }] } : {};
  return {
    phase,
    conditions,
    hostIP: record.hostIP,
    hostIPs: [{ ip: record.hostIP }],
    ...ips,
    startTime: record.startTime,
    ...(record.failure ? { reason: record.failure.reason, message: record.failure.message } : {}),
    ...(record.initContainers.length > 0 ? { initContainerStatuses: record.initContainers.map(containerStatus) } : {}),
    containerStatuses: record.containers.map(containerStatus),
  };
}
