// The pod phase and conditions the process kubelet reports, case by case
// against the kubelet's rules (pkg/kubelet/kubelet_pods.go getPhase).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContainerState } from './objects.ts';
import { podPhase, podStatus, type ContainerRecord, type PodRecord } from './pod-status.ts';

const at = '2026-01-01T00:00:00Z';
const running: ContainerState = { running: { startedAt: at } };
const exited = (exitCode: number): ContainerState => ({
  terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: at, finishedAt: at },
});
const creating: ContainerState = { waiting: { reason: 'ContainerCreating' } };
const backingOff: ContainerState = { waiting: { reason: 'CrashLoopBackOff' } };

function container(state: ContainerState, lastState: ContainerState = {}, ready = false): ContainerRecord {
  return { name: 'c', image: 'i', imageID: 'i', restartCount: 0, state, lastState, ready, started: !!state.running };
}

function record(
  restartPolicy: PodRecord['restartPolicy'],
  containers: ContainerRecord[],
  extra: Partial<PodRecord> = {},
): PodRecord {
  return {
    restartPolicy,
    hostIP: '127.0.0.1',
    podIP: '127.20.0.1',
    startTime: at,
    sandboxReady: true,
    initContainers: [],
    containers,
    terminal: false,
    ...extra,
  };
}

const cases: [string, PodRecord, string][] = [
  ['a container being created', record('Always', [container(creating)]), 'Pending'],
  ['a running container', record('Always', [container(running)]), 'Running'],
  ['one running, one being created', record('Always', [container(running), container(creating)]), 'Pending'],
  ['Always, in back-off after a crash', record('Always', [container(backingOff, exited(1))]), 'Running'],
  ['OnFailure, in back-off after a failure', record('OnFailure', [container(backingOff, exited(1))]), 'Running'],
  ['OnFailure, exited 0', record('OnFailure', [container(exited(0))]), 'Succeeded'],
  ['Never, exited 0', record('Never', [container(exited(0))]), 'Succeeded'],
  ['Never, exited 2', record('Never', [container(exited(2))]), 'Failed'],
  ['Never, one exited 0, one still running', record('Never', [container(exited(0)), container(running)]), 'Running'],
  ['Never, one exited 0, one exited 1', record('Never', [container(exited(0)), container(exited(1))]), 'Failed'],
  [
    'an init container still running',
    record('Always', [container(creating)], { initContainers: [container(running)] }),
    'Pending',
  ],
  [
    'Never, an init container failed',
    record('Never', [container(creating)], { initContainers: [container(exited(1))] }),
    'Failed',
  ],
  [
    'Always, an init container failed and will be retried',
    record('Always', [container(creating)], { initContainers: [container(backingOff, exited(1))] }),
    'Pending',
  ],
  ['deleted, stopped by SIGTERM (143)', record('Always', [container(exited(143))], { terminal: true }), 'Failed'],
  ['deleted, exited 0 on SIGTERM', record('Always', [container(exited(0))], { terminal: true }), 'Succeeded'],
  ['deleted before it started', record('Always', [container(creating)], { terminal: true }), 'Failed'],
  [
    'an unsupported volume',
    record('Always', [container(creating)], { failure: { reason: 'UnsupportedVolume', message: 'x' } }),
    'Failed',
  ],
];

for (const [name, input, phase] of cases) {
  test(`phase: ${name} is ${phase}`, () => assert.equal(podPhase(input), phase));
}

test('Ready and ContainersReady follow the containers; transition times stay until the status changes', () => {
  const scheduled = { type: 'PodScheduled', status: 'True' as const, lastTransitionTime: at };
  const unready = podStatus(record('Always', [container(running, {}, false)]), undefined, scheduled, at);
  const ready = (s: typeof unready) => s.conditions!.find((c) => c.type === 'Ready')!;
  assert.equal(ready(unready).status, 'False');
  assert.equal(ready(unready).reason, 'ContainersNotReady');
  assert.equal(ready(unready).message, 'containers with unready status: [c]');
  assert.deepEqual(unready.conditions!.at(-1), scheduled);

  const later = '2026-01-01T00:01:00Z';
  const stillUnready = podStatus(record('Always', [container(running, {}, false)]), unready, scheduled, later);
  assert.equal(ready(stillUnready).lastTransitionTime, at);
  const nowReady = podStatus(record('Always', [container(running, {}, true)]), unready, scheduled, later);
  assert.equal(ready(nowReady).status, 'True');
  assert.equal(ready(nowReady).lastTransitionTime, later);
  assert.equal(nowReady.podIP, '127.20.0.1');
  assert.deepEqual(nowReady.podIPs, [{ ip: '127.20.0.1' }]);
});

test('a pod that ran to its end is not Ready, with reason PodCompleted', () => {
  const done = podStatus(record('Never', [container(exited(0))]), undefined, undefined, at);
  const ready = done.conditions!.find((c) => c.type === 'Ready')!;
  assert.equal(ready.status, 'False');
  assert.equal(ready.reason, 'PodCompleted');
});
