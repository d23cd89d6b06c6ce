// restartPolicy as the kubelet honours it: Always restarts a crashing
// container with back-off and a growing restartCount, OnFailure stops once it
// succeeds, Never reports the failure; a process a test kills, and one that
// fails its liveness probe, are restarted with their exit reported truthfully.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { isReady, nodeCommand, useKubeletCluster } from './testing.ts';

// Short back-off so that a few restarts fit in a test; the default is the kubelet's 10 s doubling to 5 min.
const cluster = useKubeletCluster('kubelet-restarts', { backoff: { initialMs: 400, maxMs: 1600 } });

function pod(name: string, restartPolicy: string, container: Partial<V1Container>, volumes = false): V1Pod {
  return {
    metadata: { name },
    spec: {
      restartPolicy,
      terminationGracePeriodSeconds: 2,
      containers: [{ name: 'main', image: 'node:20', ...container }],
      ...(volumes ? { volumes: [{ name: 'scratch', emptyDir: {} }] } : {}),
    },
  };
}

const mainStatus = (p: V1Pod) => p.status?.containerStatuses?.find((c) => c.name === 'main');

test('restartPolicy Always restarts a crashing container with back-off; restartCount grows, the exit code is kept', async () => {
  const { namespace, core } = cluster;
  await core.createNamespacedPod({
    namespace,
    body: pod('crasher', 'Always', { command: nodeCommand("console.log('run'); process.exit(3)") }),
  });
  const crashed = await cluster.waitForPod(
    'crasher',
    (p) => (mainStatus(p)?.restartCount ?? 0) >= 3,
    'restarted three times',
  );
  const status = mainStatus(crashed)!;
  assert.equal(crashed.status!.phase, 'Running');
  assert.equal(status.lastState?.terminated?.exitCode, 3);
  assert.equal(status.lastState?.terminated?.reason, 'Error');
  assert.equal(status.ready, false);
  const runs = cluster.kubelet.containerLog(namespace, 'crasher', 'main').match(/^run$/gm)?.length ?? 0;
  assert.ok(runs >= 4, `each restart ran the process again (${runs} runs logged)`);
  const events = await core.listNamespacedEvent({ namespace, fieldSelector: 'involvedObject.name=crasher' });
  assert.ok(
    events.items.some((e) => e.reason === 'BackOff'),
    'the restarts after the first waited in CrashLoopBackOff',
  );
});

test('restartPolicy OnFailure restarts a failed run and the pod Succeeds once a run exits 0', async () => {
  const { namespace, core } = cluster;
  // The first run leaves a mark in the pod's emptyDir and fails; the second finds it and succeeds.
  const script = `
const fs = require('node:fs');
if (fs.existsSync('/srv/scratch/mark')) { console.log('second run'); process.exit(0); }
fs.writeFileSync('/srv/scratch/mark', 'x'); console.log('first run'); process.exit(1);`;
  await core.createNamespacedPod({
    namespace,
    body: pod(
      'retrier',
      'OnFailure',
      { command: nodeCommand(script), volumeMounts: [{ name: 'scratch', mountPath: '/srv/scratch' }] },
      true,
    ),
  });
  const done = await cluster.waitForPod('retrier', (p) => p.status?.phase === 'Succeeded', 'Succeeded');
  const status = mainStatus(done)!;
  assert.equal(status.restartCount, 1);
  assert.equal(status.state?.terminated?.exitCode, 0);
  assert.equal(status.state?.terminated?.reason, 'Completed');
  assert.equal(status.lastState?.terminated?.exitCode, 1);
  assert.equal(cluster.kubelet.containerLog(namespace, 'retrier', 'main'), 'first run\nsecond run\n');
});

test('restartPolicy Never leaves a failed container stopped: the pod Fails with its exit code', async () => {
  const { namespace, core } = cluster;
  await core.createNamespacedPod({
    namespace,
    body: pod('quitter', 'Never', { command: nodeCommand('process.exit(7)') }),
  });
  const failed = await cluster.waitForPod('quitter', (p) => p.status?.phase === 'Failed', 'Failed');
  const status = mainStatus(failed)!;
  assert.equal(status.restartCount, 0);
  assert.equal(status.state?.terminated?.exitCode, 7);
  assert.equal(status.state?.terminated?.reason, 'Error');
  assert.equal(isReady(failed), false);
});

test('a container process killed by a test (SIGKILL) is reported as exit 137 and restarted', async () => {
  const { namespace, core } = cluster;
  await core.createNamespacedPod({
    namespace,
    body: pod('victim', 'Always', { command: nodeCommand("console.log('up'); setInterval(() => {}, 1000)") }),
  });
  await cluster.waitForPod('victim', isReady, 'Ready');
  const pid = await cluster.kubelet.killContainer(namespace, 'victim');
  assert.ok(pid > 0);
  const restarted = await cluster.waitForPod(
    'victim',
    (p) => mainStatus(p)?.restartCount === 1 && isReady(p),
    'restarted once and Ready again',
  );
  const status = mainStatus(restarted)!;
  assert.equal(status.lastState?.terminated?.exitCode, 137);
  assert.equal(status.lastState?.terminated?.signal, 9);
  assert.notEqual(status.containerID, status.lastState?.terminated?.containerID);
  assert.throws(() => process.kill(pid, 0), 'the killed process is gone');
});

test('a failing liveness probe kills the container, which is restarted', async () => {
  const { namespace, core } = cluster;
  await core.createNamespacedPod({
    namespace,
    body: pod('unhealthy', 'Always', {
      // Nothing listens on 9999: every probe fails.
      command: nodeCommand("console.log('up'); setInterval(() => {}, 1000)"),
      livenessProbe: { tcpSocket: { port: 9999 }, periodSeconds: 1, failureThreshold: 2 },
    }),
  });
  const restarted = await cluster.waitForPod(
    'unhealthy',
    (p) => (mainStatus(p)?.restartCount ?? 0) >= 1,
    'restarted after failing its liveness probe',
  );
  const last = mainStatus(restarted)!.lastState?.terminated;
  // SIGTERM ends a node process without a handler: 128 + 15.
  assert.equal(last?.exitCode, 143);
  const events = await core.listNamespacedEvent({ namespace, fieldSelector: 'involvedObject.name=unhealthy' });
  assert.ok(
    events.items.some((e) => e.reason === 'Unhealthy' && e.message?.includes('Liveness probe failed')),
    'Unhealthy events name the liveness probe',
  );
});
