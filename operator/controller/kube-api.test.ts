// The Kubernetes API adapter gives up on a call the API server never answers,
// instead of stalling a worker for good: against a local server that accepts
// connections and stays silent.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeApi } from './kube-api.ts';

let server: Server;
const sockets = new Set<Socket>();
let port = 0;

before(async () => {
  server = createServer((socket) => {
    sockets.add(socket); // accepted, never answered
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

after(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function silentCluster(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'silent', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'c', cluster: 'silent', user: 'u' }],
    currentContext: 'c',
  });
  return kc;
}

test(
  'calls to an API server that never answers fail after the request timeout, reads and writes alike',
  { timeout: 20_000 },
  async () => {
    const api = new KubeApi(silentCluster(), 300);
    // Each error names the call that got no answer.
    await assert.rejects(
      api.getStreamDeployment('ns', 'orders'),
      /Kubernetes API call custom.getNamespacedCustomObject got no answer within 300 ms/,
    );
    await assert.rejects(
      api.patchStreamSnapshotStatus('ns', 'snap', { state: 'COMPLETED' }),
      /Kubernetes API call custom.patchNamespacedCustomObjectStatus got no answer within 300 ms/,
    );
    await assert.rejects(
      api.list({ group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments' }, 'ns'),
      /Kubernetes API call objects.list got no answer within 300 ms/,
    );
  },
);
