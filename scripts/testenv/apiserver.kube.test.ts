// Proof that testenv's Kubernetes control plane is a real one: the admin
// kubeconfig works, the controller-manager runs its controllers, watches
// deliver events, RBAC is enforced for service-account tokens, and a CRD's CEL
// validation refuses a bad object with the rule's message.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApiException,
  ApiextensionsV1Api,
  AppsV1Api,
  AuthenticationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  RbacAuthorizationV1Api,
  VersionApi,
  Watch,
} from '@kubernetes/client-node';
import { endpoints, ensureServices } from './index.ts';

const suffix = randomBytes(4).toString('hex');
const namespace = `brook-test-${suffix}`;
const otherNamespace = `brook-test-${suffix}-other`;
const crdGroup = `w${suffix}.testenv.brook.dev`;

let kc: KubeConfig;
let core: CoreV1Api;

/** Polls `check` until it stops throwing; returns its value or rethrows its last error after `timeoutMs`. */
async function eventually<T>(check: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(250);
    }
  }
}

/** Asserts that `call` fails with HTTP `code` and a Status message containing `text`; returns the message. */
async function rejectsWith(call: Promise<unknown>, code: number, text: string): Promise<string> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof ApiException)) throw error;
    const raw = typeof error.body === 'string' ? error.body : JSON.stringify(error.body);
    assert.equal(error.code, code, raw);
    const { message } = JSON.parse(raw) as { message: string };
    assert.ok(message.includes(text), `expected '${text}' in '${message}'`);
    return message;
  }
  assert.fail(`expected HTTP ${code}, the call succeeded`);
}

/** A client that authenticates with a bearer token only (no client certificate). */
function tokenClient(token: string): KubeConfig {
  const cluster = kc.getCurrentCluster()!;
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'testenv', server: cluster.server, caData: cluster.caData }],
    users: [{ name: 'token', token }],
    contexts: [{ name: 'testenv', cluster: 'testenv', user: 'token' }],
    currentContext: 'testenv',
  });
  return config;
}

before(async () => {
  await ensureServices('kubernetes');
  kc = new KubeConfig();
  kc.loadFromFile(endpoints.kubernetes.kubeconfig);
  core = kc.makeApiClient(CoreV1Api);
  for (const name of [namespace, otherNamespace]) await core.createNamespace({ body: { metadata: { name } } });
});

after(async () => {
  if (!core) return;
  for (const name of [namespace, otherNamespace]) await core.deleteNamespace({ name }).catch(() => {});
  await kc
    .makeApiClient(ApiextensionsV1Api)
    .deleteCustomResourceDefinition({ name: `widgets.${crdGroup}` })
    .catch(() => {});
});

test('the apiserver reports the pinned Kubernetes release', async () => {
  const version = await kc.makeApiClient(VersionApi).getCode();
  assert.equal(version.gitVersion, endpoints.kubernetes.version);
});

test('ConfigMaps listed with a label selector are exactly the ones carrying the label', async () => {
  const labels: Record<string, string> = { red: 'apple', blue: 'sky', red2: 'cherry' };
  for (const [name, fruit] of Object.entries(labels)) {
    const colour = name.startsWith('red') ? 'red' : 'blue';
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: `cm-${name}`, labels: { colour } }, data: { fruit } },
    });
  }
  const red = await core.listNamespacedConfigMap({ namespace, labelSelector: 'colour=red' });
  assert.deepEqual(red.items.map((cm) => cm.metadata!.name).sort(), ['cm-red', 'cm-red2']);
  const read = await core.readNamespacedConfigMap({ namespace, name: 'cm-blue' });
  assert.deepEqual(read.data, { fruit: 'sky' });
});

test('kubectl, built at the same release, applies a manifest through the written kubeconfig', async () => {
  const kubectl = (args: string[], input?: string) =>
    execFileSync(endpoints.kubernetes.kubectl, args, {
      input,
      encoding: 'utf8',
      env: { ...process.env, KUBECONFIG: endpoints.kubernetes.kubeconfig },
    });
  const client = JSON.parse(kubectl(['version', '--client', '-o', 'json'])) as {
    clientVersion: { gitVersion: string };
  };
  assert.equal(client.clientVersion.gitVersion, endpoints.kubernetes.version);
  const manifest = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'from-kubectl', namespace },
    data: { a: 'b' },
  };
  kubectl(['apply', '-f', '-'], JSON.stringify(manifest));
  const read = await core.readNamespacedConfigMap({ namespace, name: 'from-kubectl' });
  assert.deepEqual(read.data, { a: 'b' });
});

test('a Deployment gets a ReplicaSet and Pods from the controller-manager, Pending without a kubelet', async () => {
  const apps = kc.makeApiClient(AppsV1Api);
  const labels = { app: 'web' };
  const deployment = await apps.createNamespacedDeployment({
    namespace,
    body: {
      metadata: { name: 'web' },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: 'web', image: 'brook.invalid/web:1', command: ['sleep', '3600'] }] },
        },
      },
    },
  });
  const replicaSet = await eventually(async () => {
    const list = await apps.listNamespacedReplicaSet({ namespace, labelSelector: 'app=web' });
    assert.equal(list.items.length, 1);
    return list.items[0]!;
  });
  assert.equal(replicaSet.metadata!.ownerReferences?.[0]?.uid, deployment.metadata!.uid);
  assert.equal(replicaSet.spec!.replicas, 2);

  const pods = await eventually(async () => {
    const list = await core.listNamespacedPod({ namespace, labelSelector: 'app=web' });
    assert.equal(list.items.length, 2);
    return list.items;
  });
  for (const pod of pods) {
    assert.equal(pod.metadata!.ownerReferences?.[0]?.uid, replicaSet.metadata!.uid);
    assert.equal(pod.status!.phase, 'Pending');
    assert.equal(pod.spec!.nodeName, undefined);
    // The ServiceAccount admission plugin mounted the namespace's default account's token.
    assert.equal(pod.spec!.serviceAccountName, 'default');
    assert.ok(pod.spec!.volumes?.some((v) => v.name.startsWith('kube-api-access-')));
  }
});

test('a watch from a list resourceVersion sees the ConfigMap added and modified after it', async () => {
  const list = await core.listNamespacedConfigMap({ namespace });
  const events: string[] = [];
  let done: Error | undefined;
  const watch = await new Watch(kc).watch(
    `/api/v1/namespaces/${namespace}/configmaps`,
    { resourceVersion: list.metadata!.resourceVersion, allowWatchBookmarks: false },
    (type, object: { metadata: { name: string } }) => events.push(`${type} ${object.metadata.name}`),
    (error?: Error) => (done = error),
  );
  try {
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'watched' }, data: { n: '1' } } });
    const change = [{ op: 'replace', path: '/data/n', value: '2' }];
    await core.patchNamespacedConfigMap({ namespace, name: 'watched', body: change });
    await eventually(async () => {
      assert.equal(done, undefined);
      assert.deepEqual(
        events.filter((e) => e.endsWith(' watched')),
        ['ADDED watched', 'MODIFIED watched'],
      );
    }, 10_000);
  } finally {
    watch.abort();
  }
});

test('a ServiceAccount token is refused pods in another namespace until a RoleBinding grants them', async () => {
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'reader' } } });
  const request = await core.createNamespacedServiceAccountToken({
    namespace,
    name: 'reader',
    body: { spec: { audiences: [], expirationSeconds: 600 } },
  });
  const reader = tokenClient(request.status!.token).makeApiClient(CoreV1Api);
  const user = `system:serviceaccount:${namespace}:reader`;

  await rejectsWith(
    reader.listNamespacedPod({ namespace: otherNamespace }),
    403,
    `"${user}" cannot list resource "pods"`,
  );

  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  await rbac.createNamespacedRole({
    namespace: otherNamespace,
    body: {
      metadata: { name: 'pod-reader' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace: otherNamespace,
    body: {
      metadata: { name: 'reader-reads-pods' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace }],
    },
  });
  // The authorizer reads RBAC objects through an informer, so the grant shows up shortly after.
  const pods = await eventually(() => reader.listNamespacedPod({ namespace: otherNamespace }), 10_000);
  assert.deepEqual(pods.items, []);
  // The Role grants pods only.
  await rejectsWith(
    reader.listNamespacedSecret({ namespace: otherNamespace }),
    403,
    `"${user}" cannot list resource "secrets"`,
  );
});

test('the controller-manager mints a token Secret that the apiserver accepts as the ServiceAccount', async () => {
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'minted' } } });
  await core.createNamespacedSecret({
    namespace,
    body: {
      metadata: { name: 'minted-token', annotations: { 'kubernetes.io/service-account.name': 'minted' } },
      type: 'kubernetes.io/service-account-token',
    },
  });
  const secret = await eventually(async () => {
    const s = await core.readNamespacedSecret({ namespace, name: 'minted-token' });
    assert.ok(s.data?.token, 'token not filled in yet');
    return s;
  });
  // The root CA the controller-manager was given is the one in the kubeconfig.
  assert.equal(secret.data!['ca.crt'], kc.getCurrentCluster()!.caData);
  const token = Buffer.from(secret.data!.token!, 'base64').toString('utf8');
  const review = await tokenClient(token).makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
  assert.equal(review.status?.userInfo?.username, `system:serviceaccount:${namespace}:minted`);
});

test('a CRD with CEL validation rules refuses a bad object with the rule message', async () => {
  const extensions = kc.makeApiClient(ApiextensionsV1Api);
  const name = `widgets.${crdGroup}`;
  await extensions.createCustomResourceDefinition({
    body: {
      metadata: { name },
      spec: {
        group: crdGroup,
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: {
                    type: 'object',
                    required: ['minReplicas', 'maxReplicas', 'mode'],
                    properties: {
                      minReplicas: { type: 'integer', minimum: 0 },
                      maxReplicas: { type: 'integer' },
                      mode: { type: 'string', _enum: ['stateless', 'savepoint'] },
                    },
                    // The typed client serialises only the names its model knows: x_kubernetes_validations,
                    // not 'x-kubernetes-validations', which it would drop without a word.
                    x_kubernetes_validations: [
                      {
                        rule: 'self.minReplicas <= self.maxReplicas',
                        message: 'minReplicas must not exceed maxReplicas',
                      },
                      { rule: 'self.mode == oldSelf.mode', message: 'mode is immutable' },
                    ],
                  },
                },
              },
            },
          },
        ],
      },
    },
  });
  await eventually(async () => {
    const crd = await extensions.readCustomResourceDefinition({ name });
    assert.ok(crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'));
  }, 30_000);

  const objects = kc.makeApiClient(CustomObjectsApi);
  const widget = (objectName: string, spec: object) => ({
    group: crdGroup,
    version: 'v1',
    namespace,
    plural: 'widgets',
    body: { apiVersion: `${crdGroup}/v1`, kind: 'Widget', metadata: { name: objectName }, spec },
  });
  // Established can precede the handler serving the new resource by a moment.
  await eventually(
    () => objects.createNamespacedCustomObject(widget('good', { minReplicas: 1, maxReplicas: 3, mode: 'stateless' })),
    30_000,
  );
  const message = await rejectsWith(
    objects.createNamespacedCustomObject(widget('bad', { minReplicas: 5, maxReplicas: 1, mode: 'stateless' })),
    422,
    'minReplicas must not exceed maxReplicas',
  );
  assert.ok(message.includes('spec'), `the refusal names the field: ${message}`);
  // A transition rule (oldSelf) holds on update.
  await rejectsWith(
    objects.patchNamespacedCustomObject({
      ...widget('good', {}),
      name: 'good',
      body: [{ op: 'replace', path: '/spec/mode', value: 'savepoint' }],
    }),
    422,
    'mode is immutable',
  );
});
