// Which JobManager container counts as failing, read from pod statuses as the
// kubelet writes them: CrashLoopBackOff, a non-zero exit now or last time, or
// waiting on what only a change brings (and since when it has waited).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { failingContainerOf } from './jobmanager-pods.ts';

const pod = (name: string, statuses: Partial<V1ContainerStatus>[], extra: Partial<V1Pod['metadata']> = {}): V1Pod => ({
  metadata: { name, annotations: { 'brook.dev/job-id': 'job-2' }, ...extra },
  status: {
    containerStatuses: statuses.map((s) => ({
      name: 'jobmanager',
      image: 'brook',
      imageID: '',
      ready: false,
      restartCount: 0,
      ...s,
    })),
  },
});
const crashed = (exitCode: number, message?: string) => ({
  terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', ...(message ? { message } : {}) },
});

test('a container waiting in CrashLoopBackOff is failing, with its last exit code, restarts, job id and log tail', () => {
  const failing = failingContainerOf([
    pod('counts-jobmanager-a', [
      {
        restartCount: 3,
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 20s' } },
        lastState: crashed(1, 'Error: broken\n'),
      },
    ]),
  ]);
  assert.deepEqual(failing, {
    pod: 'counts-jobmanager-a',
    container: 'jobmanager',
    jobId: 'job-2',
    reason: 'CrashLoopBackOff',
    exitCode: 1,
    restarts: 3,
    message: 'Error: broken',
  });
});

test('a container that exited non-zero (now or before it was restarted) is failing, with the termination reason', () => {
  const now = failingContainerOf([pod('p', [{ restartCount: 1, state: crashed(137), lastState: {} }])]);
  assert.equal(now?.reason, 'Error');
  assert.equal(now?.exitCode, 137);
  const before = failingContainerOf([pod('p', [{ restartCount: 2, state: { running: {} }, lastState: crashed(2) }])]);
  assert.equal(before?.exitCode, 2);
  assert.equal(before?.restarts, 2);
});

test('running, starting or cleanly exited containers, and pods being deleted, are not failing', () => {
  const cases: V1Pod[][] = [
    [],
    [pod('p', [{ state: { running: {} }, lastState: {} }])],
    [pod('p', [{ state: { waiting: { reason: 'ContainerCreating' } }, lastState: {} }])],
    // The first failed pull may be a registry's hiccup; ImagePullBackOff comes if it is not.
    [pod('p', [{ state: { waiting: { reason: 'ErrImagePull' } }, lastState: {} }])],
    [pod('p', [{ restartCount: 4, state: { running: {} }, lastState: crashed(0) }])],
    [pod('p', [{ restartCount: 5, state: crashed(1) }], { deletionTimestamp: new Date() })],
  ];
  for (const pods of cases) assert.equal(failingContainerOf(pods), undefined, JSON.stringify(pods));
});

test('of several failing containers, the one restarted most is reported', () => {
  const failing = failingContainerOf([
    pod('old', [{ restartCount: 1, state: crashed(1) }]),
    pod('new', [{ restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: crashed(3) }]),
  ]);
  assert.equal(failing?.pod, 'new');
});

test('a container waiting on what only a change brings (image, missing reference) cannot start, and is reported first', () => {
  for (const reason of ['ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull', 'CreateContainerConfigError']) {
    const failing = failingContainerOf([
      pod('crashing', [{ restartCount: 6, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: crashed(1) }]),
      pod(
        'stuck',
        [{ state: { waiting: { reason, message: ` couldn't find key secret in Secret ` } }, lastState: {} }],
        { creationTimestamp: new Date(5_000) },
      ),
    ]);
    assert.deepEqual(failing, {
      pod: 'stuck',
      container: 'jobmanager',
      jobId: 'job-2',
      reason,
      restarts: 0,
      message: "couldn't find key secret in Secret",
      cannotStart: true,
      waitingSince: 5_000,
    });
  }
});

test("CreateContainerError is the container runtime's own, often passing trouble: not a container that cannot start", () => {
  const failing = failingContainerOf([
    pod('p', [{ state: { waiting: { reason: 'CreateContainerError', message: 'context deadline exceeded' } } }]),
  ]);
  assert.equal(failing, undefined);
});

test('a container that cannot start has waited since its last run ended, else since the kubelet took the pod, else since the pod was created', () => {
  const waiting = { waiting: { reason: 'CreateContainerConfigError', message: 'secret "api-token" not found' } };
  const created = { creationTimestamp: new Date('2026-01-01T10:00:00Z') };
  // Objects read as plain JSON (not through the typed client) carry times as text, whatever the type says.
  const withStart = (p: V1Pod, startTime: Date | string): V1Pod => ({
    ...p,
    status: { ...p.status, startTime: startTime as Date },
  });
  const since = (pods: V1Pod[]) => failingContainerOf(pods)?.waitingSince;

  assert.equal(since([pod('p', [{ state: waiting }], created)]), Date.parse('2026-01-01T10:00:00Z'));
  const started = withStart(pod('p', [{ state: waiting }], created), new Date('2026-01-01T10:00:30Z'));
  assert.equal(since([started]), Date.parse('2026-01-01T10:00:30Z'), 'the pod waited to be scheduled first');
  const ranBefore = withStart(
    pod(
      'p',
      [
        {
          restartCount: 1,
          state: waiting,
          lastState: { terminated: { exitCode: 1, finishedAt: new Date('2026-01-01T11:00:00Z') } },
        },
      ],
      created,
    ),
    new Date('2026-01-01T10:00:30Z'),
  );
  assert.equal(since([ranBefore]), Date.parse('2026-01-01T11:00:00Z'), 'it ran, then its Secret went');
  assert.equal(
    since([withStart(pod('p', [{ state: waiting }]), '2026-01-01T10:00:30Z')]),
    Date.parse('2026-01-01T10:00:30Z'),
  );
  assert.equal(since([pod('p', [{ state: waiting }])]), undefined, 'no time in the pod at all');
});
