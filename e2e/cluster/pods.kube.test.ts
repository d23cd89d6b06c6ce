// The process kubelet runs real pods from a real API server: a Deployment
// becomes Available and serves on its pod IP, the downward API, ConfigMaps and
// Secrets reach the process, the Brook image maps to this repository, and a
// deleted pod's process is stopped (SIGTERM, then SIGKILL after the grace).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { get } from 'node:http';
import { test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { repositoryRoot } from './images.ts';
import { eventually, isReady, nodeCommand, useKubeletCluster } from './testing.ts';

const cluster = useKubeletCluster('kubelet-pods');

function httpText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

const processAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const serverScript = `
const http = require('node:http');
http.createServer((req, res) => res.end(JSON.stringify({ pod: process.env.POD_NAME, ip: process.env.POD_IP })))
  .listen(8080, process.env.POD_IP, () => console.log('listening on ' + process.env.POD_IP));`;

test('a Deployment of a node HTTP server becomes Available and serves on its own 127.N loopback pod IP', async () => {
  const { namespace, apps } = cluster;
  await apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name: 'web' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [
              {
                name: 'server',
                image: 'node:20',
                command: nodeCommand(serverScript),
                env: [
                  { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
                  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                ],
                ports: [{ name: 'http', containerPort: 8080 }],
                readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 1 },
              },
            ],
          },
        },
      },
    },
  });
  await eventually(
    () => apps.readNamespacedDeployment({ namespace, name: 'web' }),
    (d) => d.status?.availableReplicas === 2,
    'deployment web has 2 available replicas',
  );
  const pods = await cluster.waitForPods('app=web', 2, isReady, 'ready');
  const prefix = cluster.kubelet.podCIDR.replace(/0\.0\/16$/, '');
  const ips = new Set<string>();
  for (const pod of pods) {
    assert.equal(pod.spec!.nodeName, cluster.kubelet.nodeName);
    assert.equal(pod.status!.phase, 'Running');
    const ip = pod.status!.podIP!;
    assert.ok(ip.startsWith(prefix), `${ip} is in ${cluster.kubelet.podCIDR}`);
    assert.deepEqual(
      pod.status!.podIPs!.map((p) => p.ip),
      [ip],
    );
    ips.add(ip);
    const status = pod.status!.containerStatuses![0]!;
    assert.equal(status.ready, true);
    assert.equal(status.restartCount, 0);
    assert.ok(status.state?.running?.startedAt);
    // Asked from outside the pod, at the address the API server reports.
    const answer = JSON.parse(await httpText(`http://${ip}:8080/`)) as { pod: string; ip: string };
    assert.deepEqual(answer, { pod: pod.metadata!.name, ip });
  }
  assert.equal(ips.size, 2, 'each pod has an address of its own');
  const node = await cluster.core.readNode({ name: cluster.kubelet.nodeName });
  assert.equal(node.status!.conditions!.find((c) => c.type === 'Ready')?.status, 'True');
});

test('downward API fields, ConfigMap and Secret keys reach the environment, files and working directory', async () => {
  const { namespace, core } = cluster;
  await core.createNamespacedConfigMap({
    namespace,
    body: { metadata: { name: 'settings' }, data: { colour: 'teal', 'app.yaml': 'size: 3\n' } },
  });
  await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: 'creds' }, stringData: { password: 's3cret' } },
  });
  const report = `
const fs = require('node:fs');
console.log(JSON.stringify({
  env: process.env,
  cwd: process.cwd(),
  file: fs.readFileSync('/srv/settings/app.yaml', 'utf8'),
  labels: fs.readFileSync('/srv/podinfo/labels', 'utf8'),
}));`;
  await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name: 'env-report', labels: { team: 'streams' } },
      spec: {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'report',
            image: 'node:20',
            command: nodeCommand(report),
            workingDir: '/tmp',
            env: [
              { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
              { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
              { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
              { name: 'TEAM', valueFrom: { fieldRef: { fieldPath: "metadata.labels['team']" } } },
              { name: 'COLOUR', valueFrom: { configMapKeyRef: { name: 'settings', key: 'colour' } } },
              { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
              { name: 'GREETING', value: 'hello $(POD_NAME) in $(COLOUR), $$(NOT_EXPANDED)' },
              {
                name: 'MEMORY_MI',
                valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } },
              },
            ],
            envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'settings' } }],
            resources: { limits: { memory: '256Mi' } },
            volumeMounts: [
              { name: 'settings', mountPath: '/srv/settings' },
              { name: 'podinfo', mountPath: '/srv/podinfo' },
            ],
          },
        ],
        volumes: [
          { name: 'settings', configMap: { name: 'settings' } },
          {
            name: 'podinfo',
            downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] },
          },
        ],
      },
    },
  });
  const pod = await cluster.waitForPod('env-report', (p) => p.status?.phase === 'Succeeded', 'Succeeded');
  const out = JSON.parse(cluster.kubelet.containerLog(namespace, 'env-report', 'report')) as {
    env: Record<string, string>;
    cwd: string;
    file: string;
    labels: string;
  };
  assert.equal(out.env.POD_IP, pod.status!.podIP);
  assert.equal(out.env.POD_NAME, 'env-report');
  assert.equal(out.env.POD_NAMESPACE, namespace);
  assert.equal(out.env.NODE_NAME, cluster.kubelet.nodeName);
  assert.equal(out.env.TEAM, 'streams');
  assert.equal(out.env.COLOUR, 'teal');
  assert.equal(out.env.PASSWORD, 's3cret');
  assert.equal(out.env.GREETING, 'hello env-report in teal, $(NOT_EXPANDED)');
  assert.equal(out.env.MEMORY_MI, '256');
  assert.equal(out.env.CFG_colour, 'teal');
  assert.equal(out.env.HOSTNAME, 'env-report');
  assert.equal(out.env.KUBERNETES_SERVICE_HOST, '127.0.0.1');
  assert.equal(out.cwd, '/tmp');
  assert.equal(out.file, 'size: 3\n');
  assert.equal(out.labels, 'team="streams"');
  const status = pod.status!.containerStatuses![0]!;
  assert.equal(status.state?.terminated?.exitCode, 0);
  assert.equal(status.state?.terminated?.reason, 'Completed');
});

test('the brook image runs the repository mounted at /opt/brook: its default command prints brook --help', async () => {
  const { namespace, core } = cluster;
  await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name: 'brook-help' },
      spec: { restartPolicy: 'Never', containers: [{ name: 'brook', image: 'ghcr.io/example/brook:dev' }] },
    },
  });
  const pod = await cluster.waitForPod(
    'brook-help',
    (p) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed',
    'ran to its end',
  );
  const log = cluster.kubelet.containerLog(namespace, 'brook-help', 'brook');
  assert.equal(pod.status!.phase, 'Succeeded', log);
  // The same program run directly from the working tree: what the image's ENTRYPOINT and CMD amount to.
  const direct = execFileSync(process.execPath, ['bin/brook.js', '--help'], { cwd: repositoryRoot, encoding: 'utf8' });
  assert.equal(log, direct);
});

test('init containers run in order to completion first; the containers of a pod share its IP and emptyDir', async () => {
  const { namespace, core } = cluster;
  const append = (word: string) => nodeCommand(`require('node:fs').appendFileSync('/srv/shared/order', '${word}\\n')`);
  const sidecar = `require('node:http').createServer((q, s) => s.end('from sidecar')).listen(9090, process.env.POD_IP);`;
  const main = `
const fs = require('node:fs');
const ask = () => fetch('http://' + process.env.POD_IP + ':9090/').then((r) => r.text());
const attempt = (n) => ask().catch((e) => (n > 0 ? new Promise((r) => setTimeout(r, 100)).then(() => attempt(n - 1)) : 'error: ' + e.message));
attempt(100).then((answer) => { console.log(JSON.stringify({ order: fs.readFileSync('/srv/shared/order', 'utf8'), answer })); });`;
  const podIP = { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } };
  const shared = [{ name: 'shared', mountPath: '/srv/shared' }];
  await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name: 'with-init' },
      spec: {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 1,
        initContainers: [
          { name: 'first', image: 'node:20', command: append('first'), volumeMounts: shared },
          { name: 'second', image: 'node:20', command: append('second'), volumeMounts: shared },
        ],
        containers: [
          { name: 'main', image: 'node:20', command: nodeCommand(main), env: [podIP], volumeMounts: shared },
          { name: 'sidecar', image: 'node:20', command: nodeCommand(sidecar), env: [podIP] },
        ],
        volumes: [{ name: 'shared', emptyDir: {} }],
      },
    },
  });
  const pod = await cluster.waitForPod(
    'with-init',
    (p) => p.status?.containerStatuses?.find((c) => c.name === 'main')?.state?.terminated !== undefined,
    'main ran to its end',
  );
  const out = JSON.parse(cluster.kubelet.containerLog(namespace, 'with-init', 'main')) as {
    order: string;
    answer: string;
  };
  assert.deepEqual(out, { order: 'first\nsecond\n', answer: 'from sidecar' });
  const inits = pod.status!.initContainerStatuses!;
  assert.deepEqual(
    inits.map((c) => [c.name, c.state?.terminated?.reason]),
    [
      ['first', 'Completed'],
      ['second', 'Completed'],
    ],
  );
  assert.equal(pod.status!.conditions!.find((c) => c.type === 'Initialized')?.status, 'True');
  // The sidecar still runs, so the pod does too (restartPolicy Never: main is not restarted).
  assert.equal(pod.status!.phase, 'Running');
});

async function podPid(name: string): Promise<number> {
  const line = await eventually(
    async () => cluster.kubelet.containerLog(cluster.namespace, name, 'main'),
    (log) => /pid (\d+)/.test(log),
    `${name} logged its pid`,
  );
  return Number(/pid (\d+)/.exec(line)![1]);
}

async function deleteAndWaitGone(name: string): Promise<number> {
  const started = Date.now();
  await cluster.core.deleteNamespacedPod({ namespace: cluster.namespace, name });
  await eventually(
    async () => {
      try {
        await cluster.pod(name);
        return 'present';
      } catch (error) {
        if ((error as { code?: number }).code === 404) return 'gone';
        throw error;
      }
    },
    (state) => state === 'gone',
    `pod ${name} is removed from the API server`,
  );
  return Date.now() - started;
}

function terminationPod(name: string, script: string, graceSeconds: number): V1Pod {
  return {
    metadata: { name },
    spec: {
      terminationGracePeriodSeconds: graceSeconds,
      containers: [{ name: 'main', image: 'node:20', command: nodeCommand(script) }],
    },
  };
}

test('deleting a pod sends SIGTERM to its process, which may exit cleanly; the pod is then removed', async () => {
  const { namespace, core } = cluster;
  const script = `
console.log('pid ' + process.pid);
process.on('SIGTERM', () => { console.log('got SIGTERM'); process.exit(0); });
setInterval(() => {}, 1000);`;
  await core.createNamespacedPod({ namespace, body: terminationPod('polite', script, 30) });
  await cluster.waitForPod('polite', isReady, 'Ready');
  const pid = await podPid('polite');
  assert.ok(processAlive(pid));
  const elapsed = await deleteAndWaitGone('polite');
  assert.equal(processAlive(pid), false, 'the process is gone');
  assert.match(cluster.kubelet.containerLog(namespace, 'polite', 'main'), /got SIGTERM/);
  assert.ok(elapsed < 20_000, `a process that exits on SIGTERM does not wait out the grace period (${elapsed} ms)`);
});

test('a process that ignores SIGTERM is killed with SIGKILL when the grace period ends', async () => {
  const { namespace, core } = cluster;
  const script = `
console.log('pid ' + process.pid);
process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
setInterval(() => {}, 1000);`;
  await core.createNamespacedPod({ namespace, body: terminationPod('stubborn', script, 2) });
  await cluster.waitForPod('stubborn', isReady, 'Ready');
  const pid = await podPid('stubborn');
  const elapsed = await deleteAndWaitGone('stubborn');
  assert.equal(processAlive(pid), false, 'the process is gone');
  assert.match(cluster.kubelet.containerLog(namespace, 'stubborn', 'main'), /ignoring SIGTERM/);
  assert.ok(elapsed >= 2000, `the grace period was given (${elapsed} ms)`);
});
