// Inside a pod the cluster looks like a cluster: Service names resolve to the
// backing pods' IPs (and follow them as pods come and go), a request to a
// Service name reaches a backing pod, and @kubernetes/client-node's in-cluster
// configuration talks to the API server as the pod's service account.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthorizationV1Api } from '@kubernetes/client-node';
import { eventually, isReady, nodeCommand, useKubeletCluster } from './testing.ts';

const cluster = useKubeletCluster('kubelet-services');

const serverScript = `
require('node:http').createServer((req, res) => res.end(process.env.POD_NAME))
  .listen(8080, process.env.POD_IP);`;

/** Run in the client pod: what each name resolves to, and the answer of http://echo:8080/. */
const lookupScript = (namespace: string) => `
const dns = require('node:dns/promises');
const names = ['echo', 'echo.${namespace}', 'echo.${namespace}.svc', 'echo.${namespace}.svc.cluster.local'];
(async () => {
  const resolved = {};
  for (const name of names) {
    resolved[name] = (await dns.lookup(name, { all: true, family: 4 }).catch(() => [])).map((a) => a.address).sort();
  }
  const answer = await fetch('http://echo:8080/').then((r) => r.text(), (e) => 'error: ' + e.message);
  console.log(JSON.stringify({ resolved, answer }));
})();`;

async function lookUpFromClient(): Promise<{ resolved: Record<string, string[]>; answer: string }> {
  const result = await cluster.kubelet.exec(cluster.namespace, 'client', nodeCommand(lookupScript(cluster.namespace)));
  assert.equal(result.exitCode, 0, result.output);
  return JSON.parse(result.output) as { resolved: Record<string, string[]>; answer: string };
}

async function readyEchoPods() {
  const list = await cluster.core.listNamespacedPod({ namespace: cluster.namespace, labelSelector: 'app=echo' });
  return list.items.filter((p) => isReady(p) && !p.metadata!.deletionTimestamp);
}

test('a Service name resolves inside a pod to the backing pod IP and a request to it is answered', async () => {
  const { namespace, core, apps } = cluster;
  await core.createNamespacedService({
    namespace,
    body: {
      metadata: { name: 'echo' },
      spec: { selector: { app: 'echo' }, ports: [{ port: 8080, targetPort: 8080 }] },
    },
  });
  await apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name: 'echo' },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'echo' } },
        template: {
          metadata: { labels: { app: 'echo' } },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: [
              {
                name: 'echo',
                image: 'node:20',
                command: nodeCommand(serverScript),
                env: [
                  { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
                  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                ],
                readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
              },
            ],
          },
        },
      },
    },
  });
  await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name: 'client' },
      spec: { containers: [{ name: 'client', image: 'node:20', command: nodeCommand('setInterval(() => {}, 1000)') }] },
    },
  });
  const [server] = await cluster.waitForPods('app=echo', 1, isReady, 'ready');
  await cluster.waitForPod('client', isReady, 'Ready');
  const ip = server!.status!.podIP!;
  const seen = await eventually(lookUpFromClient, (r) => r.answer === server!.metadata!.name, 'echo answers');
  for (const [name, addresses] of Object.entries(seen.resolved)) assert.deepEqual(addresses, [ip], name);
});

test('Service names follow their endpoints: a new ready pod is added, a deleted one is removed', async () => {
  const { namespace, apps, core } = cluster;
  await apps.patchNamespacedDeploymentScale({
    namespace,
    name: 'echo',
    body: [{ op: 'replace', path: '/spec/replicas', value: 2 }],
  });
  const both = await cluster.waitForPods('app=echo', 2, isReady, 'ready');
  const ips = both.map((p) => p.status!.podIP!).sort();
  await eventually(
    lookUpFromClient,
    (r) => JSON.stringify(r.resolved.echo) === JSON.stringify(ips),
    'echo names both pods',
  );

  const [gone] = both;
  await core.deleteNamespacedPod({ namespace, name: gone!.metadata!.name! });
  const after = await eventually(
    async () => ({ lookup: await lookUpFromClient(), ready: await readyEchoPods() }),
    ({ lookup, ready }) =>
      ready.length === 2 &&
      JSON.stringify(lookup.resolved.echo) === JSON.stringify(ready.map((p) => p.status!.podIP!).sort()),
    'echo names the two ready pods, the replacement included',
  );
  assert.ok(!after.lookup.resolved.echo!.includes(gone!.status!.podIP!), 'the deleted pod is no longer named');
});

test('@kubernetes/client-node loadFromCluster works inside a pod, as the pod service account and with its RBAC', async () => {
  const { namespace, core, rbac } = cluster;
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'pod-reader' } } });
  await rbac.createNamespacedRole({
    namespace,
    body: {
      metadata: { name: 'pod-reader' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] }],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: 'pod-reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'pod-reader', namespace }],
    },
  });
  // RBAC is read from an informer cache: wait until the binding is in force, as a SubjectAccessReview sees it.
  const user = `system:serviceaccount:${namespace}:pod-reader`;
  await eventually(
    () =>
      cluster.kc.makeApiClient(AuthorizationV1Api).createSubjectAccessReview({
        body: { spec: { user, resourceAttributes: { namespace, verb: 'list', resource: 'pods' } } },
      }),
    (review) => review.status?.allowed === true,
    `${user} may list pods`,
  );
  // Run from the Brook image, whose /opt/brook/node_modules has the client (the working directory is /opt/brook).
  const script = `
import { readFileSync } from 'node:fs';
import { AuthenticationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
const kc = new KubeConfig();
kc.loadFromCluster();
const namespace = readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8');
const core = kc.makeApiClient(CoreV1Api);
const pods = await core.listNamespacedPod({ namespace });
const review = await kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
const denied = await core.listNamespacedPod({ namespace: 'kube-system' }).then(() => 200, (e) => e.code);
console.log(JSON.stringify({
  server: kc.getCurrentCluster().server,
  namespace,
  pods: pods.items.map((p) => p.metadata.name),
  user: review.status.userInfo.username,
  denied,
}));`;
  await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name: 'in-cluster' },
      spec: {
        serviceAccountName: 'pod-reader',
        restartPolicy: 'Never',
        containers: [
          {
            name: 'lister',
            image: 'brook:dev',
            command: ['node', '--input-type=module', '-e', script],
            // As the Helm chart's operator pod has it: tsx compiles into a cache under /tmp.
            volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
          },
        ],
        volumes: [{ name: 'tmp', emptyDir: {} }],
      },
    },
  });
  const pod = await cluster.waitForPod(
    'in-cluster',
    (p) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed',
    'ran to its end',
  );
  const log = cluster.kubelet.containerLog(namespace, 'in-cluster', 'lister');
  assert.equal(pod.status!.phase, 'Succeeded', log);
  const out = JSON.parse(log) as { server: string; namespace: string; pods: string[]; user: string; denied: number };
  assert.equal(out.server, cluster.kc.getCurrentCluster()!.server);
  assert.equal(out.namespace, namespace);
  assert.ok(out.pods.includes('in-cluster') && out.pods.includes('client'), out.pods.join(','));
  assert.equal(out.user, user);
  assert.equal(out.denied, 403, 'the service account may not list pods elsewhere');
});
