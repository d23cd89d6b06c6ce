// The child manifests rendered from a StreamDeployment: commands and ports as
// DESIGN.md fixes them, owner references, labels, resources, the podTemplate
// merge, and the deployment hash that marks a different deployment.
import { buildClusterSecret } from './cluster-secret.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import type { V1Container, V1Deployment, V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import { streamDeploymentSpecSchema, type StreamDeploymentSpecInput } from '../resource/stream-deployment-spec.ts';
import type { RestoreRecord } from '../resource/stream-deployment-status.ts';
import { buildChildren } from './children.ts';
import { deploymentHashAnnotation } from './labels.ts';
import { clusterSecretName } from './names.ts';
import { imageVersion } from './owner.ts';
import { buildSnapshot } from './snapshot.ts';

const metadata = { name: 'orders', namespace: 'streaming', uid: 'u-1' };
const empty: RestoreRecord = { source: 'none', recordedAt: 0 };

function spec(extra: Partial<StreamDeploymentSpecInput> = {}, job: Partial<StreamDeploymentSpecInput['job']> = {}) {
  return streamDeploymentSpecSchema.parse({
    image: 'registry.example/brook:1.2.3',
    config: { 'state.checkpoints.dir': 's3://b/chk', 'kubernetes.operator.savepoint.timeout': '5 min' },
    taskManager: { replicas: 3, resource: { cpu: '500m', memory: '2Gi' } },
    ...extra,
    job: { entry: '/opt/brook/examples/wordcount/job.ts', args: ['--topic', 'orders'], ...job },
  });
}

const render = (s = spec(), restore = empty, jobId = 'a'.repeat(32)) =>
  buildChildren({ metadata, spec: s, jobId, restore });
const container = (d: V1Deployment, name: string): V1Container =>
  d.spec!.template.spec!.containers.find((c) => c.name === name)!;

test('the JobManager runs `brook jobmanager --job <entry>` with the config file, the job id, staying up after its job ends, the restore path and the job args', () => {
  const restore: RestoreRecord = { path: 's3://b/sp/savepoint-1', source: 'savepoint', recordedAt: 0 };
  const jm = container(render(spec({}, { allowNonRestoredState: true }), restore).jobManager, 'jobmanager');
  assert.deepEqual(jm.args, [
    'jobmanager',
    '--job',
    '/opt/brook/examples/wordcount/job.ts',
    '--config',
    '/etc/brook/brook.yaml',
    '--set',
    `pipeline.job-id=${'a'.repeat(32)}`,
    '--set',
    'execution.shutdown-on-application-finish=false',
    '--set',
    'execution.savepoint.path=s3://b/sp/savepoint-1',
    '--set',
    'execution.savepoint.ignore-unclaimed-state=true',
    '--',
    '--topic',
    'orders',
  ]);
  assert.equal(jm.command, undefined, "the image's entrypoint (the brook CLI) is kept");
});

test('JobManager ports are 8081, 6123 and 9249; readiness is the REST API; POD_IP comes from the downward API', () => {
  const { jobManager, jobManagerService } = render();
  const jm = container(jobManager, 'jobmanager');
  assert.deepEqual(
    jm.ports?.map((p) => p.containerPort),
    [8081, 6123, 9249],
  );
  assert.deepEqual(jm.readinessProbe?.httpGet, { path: '/overview', port: 'rest' });
  assert.deepEqual(jm.env?.find((e) => e.name === 'POD_IP')?.valueFrom, {
    fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' },
  });
  assert.deepEqual(
    jobManagerService.spec?.ports?.map((p) => p.port),
    [8081, 6123, 9249],
  );
  assert.equal(jobManager.spec?.replicas, 1);
  assert.equal(jobManager.spec?.strategy?.type, 'Recreate');
});

test('TaskManagers run `brook taskmanager --jobmanager <service>:6123`, replicas = taskManager.replicas, ports 6121 and 9249', () => {
  const { taskManager } = render();
  const tm = container(taskManager, 'taskmanager');
  assert.deepEqual(tm.args, [
    'taskmanager',
    '--jobmanager',
    'orders-jobmanager:6123',
    '--config',
    '/etc/brook/brook.yaml',
  ]);
  assert.deepEqual(
    tm.ports?.map((p) => p.containerPort),
    [6121, 9249],
  );
  assert.equal(taskManager.spec?.replicas, 3);
  assert.deepEqual(tm.resources, { requests: { cpu: '500m', memory: '2Gi' }, limits: { cpu: '500m', memory: '2Gi' } });
});

test('JobManager and TaskManager containers put the tail of their log in the termination message when they fail', () => {
  const { jobManager, taskManager } = render();
  assert.equal(container(jobManager, 'jobmanager').terminationMessagePolicy, 'FallbackToLogsOnError');
  assert.equal(container(taskManager, 'taskmanager').terminationMessagePolicy, 'FallbackToLogsOnError');
});

test('every child is owned by the StreamDeployment and carries the standard labels and the deployment hash', () => {
  const children = render();
  const all: { metadata?: V1ObjectMeta }[] = [
    children.configMap,
    children.jobManagerService,
    children.jobManager,
    children.taskManager,
  ];
  for (const child of all) {
    const meta = child.metadata!;
    assert.deepEqual(meta.ownerReferences, [
      {
        apiVersion: 'brook.dev/v1beta1',
        kind: 'StreamDeployment',
        name: 'orders',
        uid: 'u-1',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    assert.equal(meta.namespace, 'streaming');
    assert.equal(meta.labels?.['app.kubernetes.io/instance'], 'orders');
    assert.equal(meta.labels?.['app.kubernetes.io/managed-by'], 'brook-operator');
    assert.equal(meta.labels?.['app.kubernetes.io/version'], '1.2.3');
    assert.match(meta.annotations?.[deploymentHashAnnotation] ?? '', /^[0-9a-f]{16}$/);
  }
  const selector = children.taskManager.spec!.selector.matchLabels!;
  for (const [k, v] of Object.entries(selector))
    assert.equal(children.taskManager.spec!.template.metadata!.labels![k], v);
});

test('the ConfigMap holds the runtime configuration without operator keys, with the parallelism derived from replicas', () => {
  const data = parse(render().configMap.data!['brook.yaml']!) as Record<string, string>;
  assert.deepEqual(data, { 'parallelism.default': '3', 'state.checkpoints.dir': 's3://b/chk' });
  const explicit = parse(render(spec({}, { parallelism: 2 })).configMap.data!['brook.yaml']!) as Record<string, string>;
  assert.equal(explicit['parallelism.default'], '2');
});

test('the hash changes with the image, job id or restore path, and not with operator-only settings', () => {
  const hash = (c: ReturnType<typeof render>) => c.jobManager.metadata!.annotations![deploymentHashAnnotation];
  const base = hash(render());
  assert.notEqual(hash(render(spec({ image: 'registry.example/brook:1.2.4' }))), base);
  assert.notEqual(hash(render(spec(), empty, 'b'.repeat(32))), base);
  assert.notEqual(hash(render(spec(), { path: 's3://b/x', source: 'savepoint', recordedAt: 0 })), base);
  const s = spec();
  s.config['kubernetes.operator.savepoint.timeout'] = '20 min';
  s.job.upgradeMode = 'last-state';
  assert.equal(hash(render(s)), base);
  assert.equal(
    render().jobManager.spec!.template.metadata!.annotations![deploymentHashAnnotation],
    base,
    'pods roll when it changes',
  );
});

test("the user's podTemplate is the base: sidecars, volumes and pod settings stay; our container's essentials go on top", () => {
  const podTemplate = {
    metadata: {
      labels: { team: 'payments', 'app.kubernetes.io/instance': 'spoofed' },
      annotations: { 'prometheus.io/scrape': 'true' },
    },
    spec: {
      nodeSelector: { pool: 'streaming' },
      serviceAccountName: 'from-template',
      volumes: [{ name: 'scratch', emptyDir: {} }],
      containers: [
        {
          name: 'taskmanager',
          image: 'ignored',
          env: [
            { name: 'EXTRA', value: '1' },
            { name: 'POD_IP', value: 'wrong' },
          ],
          volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
        },
        { name: 'log-shipper', image: 'fluent-bit:3' },
      ],
    },
  };
  const tm = render(spec({ taskManager: { replicas: 2, podTemplate } })).taskManager.spec!.template;
  assert.equal(tm.metadata!.labels!['team'], 'payments');
  assert.equal(tm.metadata!.labels!['app.kubernetes.io/instance'], 'orders', 'selector labels cannot be overridden');
  assert.equal(tm.metadata!.annotations!['prometheus.io/scrape'], 'true');
  assert.deepEqual(tm.spec!.nodeSelector, { pool: 'streaming' });
  assert.equal(tm.spec!.serviceAccountName, 'from-template');
  assert.deepEqual(
    tm.spec!.containers.map((c) => c.name),
    ['taskmanager', 'log-shipper'],
  );
  const main = tm.spec!.containers[0]!;
  assert.equal(main.image, 'registry.example/brook:1.2.3');
  assert.deepEqual(
    main.env!.map((e) => e.name),
    ['POD_IP', 'BROOK_CLUSTER_SECRET', 'EXTRA'],
  );
  assert.equal(main.env!.find((e) => e.name === 'POD_IP')!.value, undefined);
  assert.deepEqual(
    main.volumeMounts!.map((m) => m.name),
    ['scratch', 'brook-config'],
  );
  assert.deepEqual(
    tm.spec!.volumes!.map((v) => v.name),
    ['scratch', 'brook-config'],
  );
  const withAccount = render(spec({ serviceAccount: 'brook-job', taskManager: { podTemplate } })).taskManager;
  assert.equal(withAccount.spec!.template.spec!.serviceAccountName, 'brook-job', 'spec.serviceAccount wins');
});

test("both processes take the cluster secret from the deployment's Secret, unless a pod template gives its own", () => {
  // metadata.uid 'u-1': the fragment of the uid in the name is 'u1'.
  const fromSecret = { secretKeyRef: { name: 'orders-cluster-secret-u1', key: 'secret' } };
  const children = render();
  for (const [deployment, name] of [
    [children.jobManager, 'jobmanager'],
    [children.taskManager, 'taskmanager'],
  ] as const) {
    assert.deepEqual(
      container(deployment, name).env?.find((e) => e.name === 'BROOK_CLUSTER_SECRET')?.valueFrom,
      fromSecret,
    );
  }
  const own = { name: 'BROOK_CLUSTER_SECRET', valueFrom: { secretKeyRef: { name: 'team-secret', key: 'k' } } };
  const podTemplate = { spec: { containers: [{ name: 'taskmanager', env: [own] }] } };
  const mixed = render(spec({ taskManager: { replicas: 1, podTemplate } }));
  assert.deepEqual(
    container(mixed.taskManager, 'taskmanager').env?.filter((e) => e.name === 'BROOK_CLUSTER_SECRET'),
    [own],
  );
  assert.deepEqual(
    container(mixed.jobManager, 'jobmanager').env?.find((e) => e.name === 'BROOK_CLUSTER_SECRET')?.valueFrom,
    fromSecret,
  );

  const secret = buildClusterSecret(
    { name: 'orders', namespace: 'streaming', uid: 'uid-1', version: '1.2.3' },
    'x'.repeat(43),
  );
  assert.equal(secret.metadata?.name, 'orders-cluster-secret-uid1');
  assert.deepEqual(secret.stringData, { secret: 'x'.repeat(43) });
  assert.deepEqual(
    secret.metadata?.ownerReferences?.map((o) => [o.kind, o.name, o.uid, o.controller]),
    [['StreamDeployment', 'orders', 'uid-1', true]],
  );
  assert.equal(secret.metadata?.labels?.['app.kubernetes.io/component'], 'cluster-secret');
});

test('a re-created StreamDeployment of the same name gets a Secret of its own, and its pods name that one', () => {
  // Garbage collection of the old incarnation's Secret is asynchronous: sharing its name would let the new
  // resource find the old Secret (create-if-absent keeps it), then lose it to the collector.
  const old = '0f3c2a71-9d4e-4b8a-a1c2-6e5f4d3c2b1a';
  const reborn = '7b9e1d02-3c4f-4a5b-8c6d-7e8f9a0b1c2d';
  const secretOf = (uid: string) =>
    buildClusterSecret({ name: 'orders', namespace: 'streaming', uid, version: '1' }, 'x'.repeat(43)).metadata?.name;
  assert.equal(secretOf(old), 'orders-cluster-secret-0f3c2a71');
  assert.equal(secretOf(reborn), 'orders-cluster-secret-7b9e1d02');
  const children = buildChildren({
    metadata: { ...metadata, uid: reborn },
    spec: spec(),
    jobId: 'a'.repeat(32),
    restore: empty,
  });
  for (const [deployment, name] of [
    [children.jobManager, 'jobmanager'],
    [children.taskManager, 'taskmanager'],
  ] as const) {
    const ref = container(deployment, name).env?.find((e) => e.name === 'BROOK_CLUSTER_SECRET')?.valueFrom;
    assert.equal(ref?.secretKeyRef?.name, secretOf(reborn), `the ${name} reads the new incarnation's Secret`);
  }
});

test('the cluster Secret name stays a DNS subdomain of at most 253 characters for the longest names', () => {
  const uid = '0f3c2a71-9d4e-4b8a-a1c2-6e5f4d3c2b1a';
  const subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
  for (const name of ['a'.repeat(253), `${'a'.repeat(228)}-b`, `${'a'.repeat(228)}.b${'c'.repeat(20)}`, 'x']) {
    const secretName = clusterSecretName(name, uid);
    assert.ok(secretName.length <= 253, `${secretName.length} characters`);
    assert.match(secretName, subdomain);
    assert.ok(secretName.endsWith('-cluster-secret-0f3c2a71'), secretName);
  }
  assert.equal(clusterSecretName('a'.repeat(229), uid).length, 253, 'a name that fits is kept whole');
  assert.equal(clusterSecretName('a'.repeat(229), uid), `${'a'.repeat(229)}-cluster-secret-0f3c2a71`);
});

test('image versions become valid label values', () => {
  assert.equal(imageVersion('brook'), 'latest');
  assert.equal(imageVersion('localhost:5000/brook:dev'), 'dev');
  assert.equal(imageVersion('brook@sha256:0123456789abcdef0123'), '0123456789ab');
});

test('a savepoint the operator takes becomes a StreamSnapshot owned by its deployment, labelled, that does not dispose data on delete', () => {
  const snapshot = buildSnapshot(
    { name: 'orders', namespace: 'streaming', uid: 'uid-1' },
    {
      name: 'orders-upgrade-abc',
      triggerType: 'upgrade',
      status: { state: 'COMPLETED', path: 's3://b/sp/1', jobId: 'j', triggerId: 't', resultTimestamp: 5 },
    },
  );
  assert.equal(snapshot.metadata.name, 'orders-upgrade-abc');
  assert.deepEqual(
    (snapshot.metadata.ownerReferences as V1OwnerReference[] | undefined)?.map((r) => [
      r.kind,
      r.name,
      r.uid,
      r.blockOwnerDeletion,
    ]),
    [['StreamDeployment', 'orders', 'uid-1', false]],
  );
  assert.equal(snapshot.metadata.labels?.['brook.dev/deployment'], 'orders');
  assert.equal(snapshot.metadata.labels?.['brook.dev/trigger-type'], 'upgrade');
  assert.equal(snapshot.metadata.labels?.['brook.dev/taken-by'], 'operator');
  assert.deepEqual(snapshot.spec, {
    deploymentName: 'orders',
    triggerType: 'upgrade',
    alreadyExists: false,
    disposeOnDelete: false,
  });
  assert.equal(snapshot.status?.path, 's3://b/sp/1');
});
