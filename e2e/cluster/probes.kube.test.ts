// Probes run for real: a failing readiness probe keeps a pod unready (with
// Unhealthy events) until the application answers; exec probes run inside
// the container's own mounts; tcpSocket probes connect to the pod IP; a
// startup probe holds back readiness until it passes.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { eventually, isReady, nodeCommand, useKubeletCluster } from './testing.ts';

const cluster = useKubeletCluster('kubelet-probes');

/** A pod with an emptyDir at /srv/state, where a test drops files through exec. */
function pod(name: string, container: Partial<V1Container>): V1Pod {
  return {
    metadata: { name },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [
        { name: 'main', image: 'node:20', volumeMounts: [{ name: 'state', mountPath: '/srv/state' }], ...container },
      ],
      volumes: [{ name: 'state', emptyDir: {} }],
    },
  };
}

const idle = nodeCommand('setInterval(() => {}, 1000)');

async function unhealthyEvents(name: string, kind: string): Promise<number> {
  const events = await cluster.core.listNamespacedEvent({
    namespace: cluster.namespace,
    fieldSelector: `involvedObject.name=${name}`,
  });
  return events.items.filter((e) => e.reason === 'Unhealthy' && e.message?.startsWith(`${kind} probe failed`)).length;
}

test('a failing readiness probe keeps the pod Running but unready until the application answers 200', async () => {
  const { namespace, core, kubelet } = cluster;
  const server = `
const fs = require('node:fs');
require('node:http').createServer((req, res) => {
  res.statusCode = fs.existsSync('/srv/state/ready') ? 200 : 503;
  res.end();
}).listen(8080, process.env.POD_IP);`;
  await core.createNamespacedPod({
    namespace,
    body: pod('gated', {
      command: nodeCommand(server),
      env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
      readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 1, failureThreshold: 1 },
    }),
  });
  await eventually(
    () => unhealthyEvents('gated', 'Readiness'),
    (n) => n >= 3,
    'three failed readiness probes are recorded',
  );
  const unready = await cluster.pod('gated');
  assert.equal(unready.status!.phase, 'Running');
  assert.equal(isReady(unready), false);
  assert.equal(unready.status!.containerStatuses![0]!.ready, false);
  assert.equal(unready.status!.conditions!.find((c) => c.type === 'ContainersReady')?.status, 'False');

  const touched = await kubelet.exec(namespace, 'gated', ['touch', '/srv/state/ready']);
  assert.equal(touched.exitCode, 0, touched.output);
  const ready = await cluster.waitForPod('gated', isReady, 'Ready once the application answers 200');
  assert.equal(ready.status!.containerStatuses![0]!.ready, true);
});

test('an exec readiness probe runs inside the container: it sees the pod emptyDir, which the host does not', async () => {
  const { namespace, core, kubelet } = cluster;
  await core.createNamespacedPod({
    namespace,
    body: pod('exec-probed', {
      command: idle,
      readinessProbe: { exec: { command: ['test', '-f', '/srv/state/ready'] }, periodSeconds: 1, failureThreshold: 1 },
    }),
  });
  await eventually(
    () => unhealthyEvents('exec-probed', 'Readiness'),
    (n) => n >= 2,
    'exec probes fail',
  );
  assert.equal(isReady(await cluster.pod('exec-probed')), false);
  await kubelet.exec(namespace, 'exec-probed', ['sh', '-c', 'echo yes > /srv/state/ready']);
  await cluster.waitForPod('exec-probed', isReady, 'Ready once the file exists in the container');
  assert.equal(existsSync('/srv/state/ready'), false, "the file is in the pod's emptyDir, not on the host");
});

test('a tcpSocket readiness probe connects to the pod IP: Ready once the server listens there', async () => {
  const { namespace, core } = cluster;
  const server = `setTimeout(() => require('node:net').createServer(() => {}).listen(7070, process.env.POD_IP), 1500);`;
  await core.createNamespacedPod({
    namespace,
    body: pod('tcp-probed', {
      command: nodeCommand(server),
      env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
      readinessProbe: { tcpSocket: { port: 7070 }, periodSeconds: 1, failureThreshold: 1 },
    }),
  });
  const started = Date.now();
  await cluster.waitForPod('tcp-probed', isReady, 'Ready');
  assert.ok(Date.now() - started >= 1000, 'not Ready before the server listened');
});

test('a startup probe holds back started and ready until it passes', async () => {
  const { namespace, core, kubelet } = cluster;
  await core.createNamespacedPod({
    namespace,
    body: pod('slow-start', {
      command: idle,
      startupProbe: {
        exec: { command: ['test', '-f', '/srv/state/started'] },
        periodSeconds: 1,
        failureThreshold: 600,
      },
    }),
  });
  await eventually(
    () => unhealthyEvents('slow-start', 'Startup'),
    (n) => n >= 2,
    'startup probes fail',
  );
  const waiting = await cluster.pod('slow-start');
  assert.equal(waiting.status!.containerStatuses![0]!.started, false);
  assert.equal(isReady(waiting), false);
  await kubelet.exec(namespace, 'slow-start', ['touch', '/srv/state/started']);
  const started = await cluster.waitForPod('slow-start', isReady, 'Ready after the startup probe passed');
  assert.equal(started.status!.containerStatuses![0]!.started, true);
});
