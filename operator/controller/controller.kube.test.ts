// The controller against testenv's real kube-apiserver (no kubelet: pods stay
// Pending, so no job runs here): the finalizer and the status come first,
// children are created with owner references and labels, a status write that
// conflicts is not acted on, the pause annotation stops everything, deletion
// runs decide's deletion path, a resource re-created under the same name gets
// a cluster Secret of its own, unwatched namespaces are left alone, and the
// metrics and health endpoints answer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { childNames, clusterSecretName, configFileName } from '../children/names.ts';
import { jobIdFor } from '../reconcile/ids.ts';
import type { Decision } from '../reconcile/action.ts';
import { FINALIZER } from './actor.ts';
import { PAUSE_ANNOTATION } from './reconciler.ts';
import type { Controller } from './controller.ts';
import { eventually } from '../../runtime/testing/wait-until.ts';
import { kubernetesWithCrds, TestNamespace } from './testing/kube-fixture.ts';

const spec = {
  job: { entry: '/opt/brook/examples/wordcount/job.ts' },
  // No JobManager ever answers here: a cancel gives up after a second.
  config: { 'kubernetes.operator.job.cancel.timeout': '1s' },
};
/** Nothing listens there: REST calls fail at once instead of waiting for DNS. */
const unreachable = () => 'http://127.0.0.1:1';

let kc: KubeConfig;
const namespaces: TestNamespace[] = [];

before(async () => {
  kc = await kubernetesWithCrds();
});

after(async () => {
  await Promise.all(namespaces.map((ns) => ns.dispose()));
});

async function namespace(): Promise<TestNamespace> {
  const ns = await TestNamespace.create(kc, 'brook-ctl');
  namespaces.push(ns);
  return ns;
}

async function started(controller: Controller): Promise<Controller> {
  await controller.start();
  await controller.whenSynced();
  return controller;
}

async function metricValue(controller: Controller, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await controller.metrics.registry.getSingleMetric(name)?.get();
  const match = metric?.values.find((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value));
  return match?.value ?? 0;
}

test('a new StreamDeployment gets the finalizer, a status, and children owned by it with the standard labels', async () => {
  const ns = await namespace();
  const controller = await started(
    ns.controller({ jobManagerUrl: unreachable, metricsPort: 0, metricsHost: '127.0.0.1' }),
  );
  const created = await ns.createStreamDeployment('wordcount', spec);
  const uid = created.metadata.uid;
  const sd = await ns.waitFor('wordcount', (s) => s.status?.lifecycleState === 'DEPLOYED', 'is DEPLOYED');
  assert.deepEqual(sd.metadata.finalizers, [FINALIZER]);
  assert.equal(sd.status?.observedGeneration, 1);
  const jobId = jobIdFor(uid, 1);
  assert.equal(sd.status?.jobStatus?.jobId, jobId);
  assert.equal(sd.status?.jobStatus?.state, 'RECONCILING', 'no JobManager answers without a kubelet');

  const names = childNames('wordcount');
  const jm = await ns.jobManagerDeployment('wordcount', jobId);
  const tm = await eventually(() => ns.deployment(names.taskManager), Boolean, 'the TaskManager Deployment');
  const service = await ns.core.readNamespacedService({ namespace: ns.name, name: names.jobManagerService });
  const config = await eventually(() => ns.configMap(names.configMap), Boolean, 'the ConfigMap');
  const secret = await ns.core.readNamespacedSecret({ namespace: ns.name, name: clusterSecretName('wordcount', uid) });
  // At least 16 characters, as the runtime requires of cluster.secret; random, so 32 bytes give 43.
  assert.match(Buffer.from(secret.data!.secret!, 'base64').toString(), /^[A-Za-z0-9_-]{43}$/);
  for (const child of [jm, tm!, service, config!, secret]) {
    const isSecret = child === secret;
    const owner = child.metadata?.ownerReferences;
    assert.deepEqual(
      owner?.map((o) => [o.apiVersion, o.kind, o.name, o.uid, o.controller, o.blockOwnerDeletion]),
      [['brook.dev/v1beta1', 'StreamDeployment', 'wordcount', uid, true, true]],
      `${child.metadata?.name} is owned by the StreamDeployment`,
    );
    assert.equal(child.metadata?.labels?.['app.kubernetes.io/managed-by'], 'brook-operator');
    assert.equal(child.metadata?.labels?.['app.kubernetes.io/instance'], 'wordcount');
    // The secret outlives deploys (it is never rewritten), so it names no job.
    if (!isSecret) assert.equal(child.metadata?.annotations?.['brook.dev/job-id'], jobId);
  }
  assert.ok(jm.spec?.template.spec?.containers[0]?.args?.includes(`pipeline.job-id=${jobId}`));
  assert.equal(tm!.spec?.replicas, 1);
  // Written with the operator's field manager (server-side apply).
  assert.ok(jm.metadata?.managedFields?.some((f) => f.manager === 'brook-operator' && f.operation === 'Apply'));
  assert.ok((await ns.eventReasons('wordcount')).includes('Submit'));

  // Nothing changes any more: later reconciles write nothing (no status churn, no needless watch events).
  // Settled means the operator has seen its own JobManager Deployment (not ready: no kubelet runs here);
  // until its informer has, a status saying MISSING is still due to change once.
  const settled = await ns.waitFor(
    'wordcount',
    (s) => s.status?.jobManagerDeploymentStatus === 'DEPLOYED_NOT_READY',
    'the operator sees its JobManager Deployment',
  );
  const count = controller.reconcileCount;
  await eventually(
    async () => controller.reconcileCount,
    (n) => n >= count + 2,
    'two more reconciles',
    20_000,
  );
  const later = await ns.get('wordcount');
  // The status first: when something did change, the failure says what.
  assert.deepEqual(later?.status, settled?.status);
  assert.equal(later?.metadata.resourceVersion, settled?.metadata.resourceVersion);

  const base = `http://127.0.0.1:${controller.metricsPort}`;
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  assert.equal((await fetch(`${base}/readyz`)).status, 200);
  const metrics = await (await fetch(`${base}/metrics`)).text();
  assert.match(metrics, /brook_operator_resources\{lifecycle_state="DEPLOYED"\} 1/);
  assert.match(metrics, /brook_operator_reconciles_total\{result="success"\} [1-9]/);
  assert.match(metrics, /brook_operator_actions_total\{action="deploy"\} [1-9]/);
  assert.match(metrics, /brook_operator_reconcile_duration_seconds_count\{result="success"\} [1-9]/);
  assert.match(metrics, /brook_operator_workqueue_depth \d/);
  assert.match(metrics, /brook_operator_leader 1/);
});

test("the operator's default configuration goes under each resource's own: the resource's keys win", async () => {
  const ns = await namespace();
  await started(
    ns.controller({
      jobManagerUrl: unreachable,
      defaultConfig: {
        'state.checkpoints.dir': 's3://platform/checkpoints',
        'execution.checkpointing.interval': '1 min',
        'kubernetes.operator.savepoint.history.max.count': '3',
      },
    }),
  );
  const created = await ns.createStreamDeployment('defaults', {
    ...spec,
    config: { ...spec.config, 'execution.checkpointing.interval': '5s' },
  });
  await ns.jobManagerDeployment('defaults', jobIdFor(created.metadata.uid, 1));
  const configMap = await eventually(() => ns.configMap(childNames('defaults').configMap), Boolean, 'the ConfigMap');
  const runtimeConfig = parseYaml(configMap!.data![configFileName]!) as Record<string, string>;
  assert.equal(runtimeConfig['state.checkpoints.dir'], 's3://platform/checkpoints');
  assert.equal(runtimeConfig['execution.checkpointing.interval'], '5s');
  assert.equal(runtimeConfig['kubernetes.operator.savepoint.history.max.count'], undefined, 'operator keys stay out');
  // The recorded spec is what the job runs with, defaults included, so a later change of the defaults is seen.
  const sd = await ns.get('defaults');
  const recorded = sd?.status?.reconciliationStatus?.lastReconciledSpec as { config: Record<string, string> };
  assert.deepEqual(recorded.config, {
    'execution.checkpointing.interval': '5s',
    'kubernetes.operator.job.cancel.timeout': '1s',
    'kubernetes.operator.savepoint.history.max.count': '3',
    'state.checkpoints.dir': 's3://platform/checkpoints',
  });
  assert.deepEqual(Object.keys(sd!.spec.config as object).sort(), [
    'execution.checkpointing.interval',
    'kubernetes.operator.job.cancel.timeout',
  ]);
});

test('the periodic resync reconciles a resource nothing else brings back', async () => {
  const ns = await namespace();
  // A paused resource is never requeued by its reconcile, and nothing changes it: only the resync comes back to it.
  await ns.createStreamDeployment('quiet', spec, { [PAUSE_ANNOTATION]: 'true' });
  const controller = await started(ns.controller({ jobManagerUrl: unreachable, resyncPeriodMs: 300 }));
  const pauses = () => metricValue(controller, 'brook_operator_reconciles_total', { result: 'paused' });
  await eventually(pauses, (n) => n >= 4, 'the paused resource reconciled again and again', 30_000);
  assert.equal((await ns.get('quiet'))?.status, undefined, 'a paused resource is never written');
});

test('a status write that conflicts is not acted on; the next pass writes and acts', async () => {
  const ns = await namespace();
  let conflicted: Decision | undefined;
  const acted: Decision[] = [];
  await started(
    ns.controller({
      jobManagerUrl: unreachable,
      hooks: {
        beforeStatusWrite: async (_key, decision) => {
          if (conflicted || decision.action.type !== 'deploy') return;
          conflicted = decision;
          // Someone else writes the resource between our read and our write.
          await ns.patch('raced', { metadata: { annotations: { 'example.com/touched': 'yes' } } });
        },
        beforeAct: async (_key, decision) => {
          acted.push(decision);
        },
      },
    }),
  );
  const created = await ns.createStreamDeployment('raced', spec);
  await ns.jobManagerDeployment('raced', jobIdFor(created.metadata.uid, 1));
  assert.ok(conflicted, 'a write conflicted');
  assert.ok(!acted.includes(conflicted), 'the conflicted decision was never acted on');
  assert.ok(
    acted.some((d) => d.action.type === 'deploy'),
    'a later decision deployed',
  );
  const sd = await ns.get('raced');
  assert.equal(sd?.status?.reconciliationStatus?.deploySequence, 1, 'one deployment recorded, not two');
});

test('the pause annotation stops all action; removing it lets the operator catch up', async () => {
  const ns = await namespace();
  const controller = await started(ns.controller({ jobManagerUrl: unreachable }));
  const created = await ns.createStreamDeployment('paused', spec);
  const firstJob = jobIdFor(created.metadata.uid, 1);
  await ns.jobManagerDeployment('paused', firstJob);
  const secretBefore = await clusterSecretOf(ns, 'paused', created.metadata.uid);
  await ns.waitFor('paused', (s) => s.status?.observedGeneration === 1, 'has a status');

  const pauses = () => metricValue(controller, 'brook_operator_reconciles_total', { result: 'paused' });
  await ns.patch('paused', { metadata: { annotations: { [PAUSE_ANNOTATION]: 'true' } } });
  await eventually(pauses, (n) => n >= 1, 'a paused reconcile');
  const pausedStatus = (await ns.get('paused'))?.status;
  const before = await pauses();
  const changed = await ns.patch('paused', { spec: { image: 'brook:test-2' } });
  assert.equal(changed.metadata.generation, 2);
  await eventually(pauses, (n) => n > before, 'the spec change reconciled while paused');
  const still = await ns.get('paused');
  assert.equal(still?.status?.observedGeneration, 1, 'status untouched while paused');
  assert.deepEqual(still?.status, pausedStatus);
  const jm = await ns.deployment(childNames('paused').jobManager);
  assert.equal(jm?.metadata?.annotations?.['brook.dev/job-id'], firstJob, 'children untouched while paused');
  assert.equal(jm?.metadata?.deletionTimestamp, undefined);
  assert.ok((await ns.eventReasons('paused')).includes('ReconciliationPaused'));

  await ns.patch('paused', { metadata: { annotations: { [PAUSE_ANNOTATION]: null } } });
  await ns.waitFor('paused', (s) => s.status?.observedGeneration === 2, 'reconciled generation 2');
  // Stateless upgrade of a job that is not running: the old Deployments go, new ones come with a new job id.
  const upgraded = await ns.jobManagerDeployment('paused', jobIdFor(created.metadata.uid, 2), 60_000);
  assert.equal(upgraded.spec?.template.spec?.containers[0]?.image, 'brook:test-2');
  assert.equal(
    await clusterSecretOf(ns, 'paused', created.metadata.uid),
    secretBefore,
    'the new deployment keeps the cluster secret',
  );
});

test('deletion runs the deletion path: the job is cancelled (or given up on), the finalizer goes, children follow', async () => {
  const ns = await namespace();
  await started(ns.controller({ jobManagerUrl: unreachable }));
  const created = await ns.createStreamDeployment('doomed', spec);
  await ns.jobManagerDeployment('doomed', jobIdFor(created.metadata.uid, 1));
  await ns.waitFor('doomed', (s) => s.metadata.finalizers?.includes(FINALIZER) === true, 'has the finalizer');
  await ns.delete('doomed');
  const deleting = await ns
    .waitFor('doomed', (s) => s.status?.lifecycleState === 'DELETING', 'is DELETING')
    .catch(() => undefined); // it may be gone before it is seen DELETING
  if (deleting) assert.ok(deleting.metadata.finalizers?.includes(FINALIZER), 'held by the finalizer while DELETING');
  await eventually(
    () => ns.get('doomed'),
    (sd) => sd === undefined,
    'the StreamDeployment is gone',
    30_000,
  );
  assert.ok((await ns.eventReasons('doomed')).includes('Deleting'));
  const names = childNames('doomed');
  // Garbage collection (kube-controller-manager) removes the children through their owner references.
  await eventually(
    async () => [
      await ns.deployment(names.jobManager),
      await ns.deployment(names.taskManager),
      await ns.configMap(names.configMap),
    ],
    (children) => children.every((c) => c === undefined),
    'the children are garbage-collected',
    60_000,
  );
});

test('a StreamDeployment deleted and re-created under the same name gets a cluster Secret of its own, while the old one is still being collected', async () => {
  const ns = await namespace();
  await started(ns.controller({ jobManagerUrl: unreachable }));
  const first = await ns.createStreamDeployment('reborn', spec);
  await ns.jobManagerDeployment('reborn', jobIdFor(first.metadata.uid, 1));
  const oldName = clusterSecretName('reborn', first.metadata.uid);
  // Garbage collection is asynchronous; a finalizer of the test's own holds the old Secret for as long as
  // it takes, so the re-created resource is deployed while the old incarnation's Secret is still there.
  const hold = 'test.brook.dev/hold';
  await eventually(() => ns.secret(oldName), Boolean, "the first incarnation's Secret");
  await ns.core.patchNamespacedSecret(
    { namespace: ns.name, name: oldName, body: { metadata: { finalizers: [hold] } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  try {
    await ns.delete('reborn');
    await eventually(
      () => ns.get('reborn'),
      (sd) => sd === undefined,
      'the first incarnation is gone',
      30_000,
    );
    const second = await ns.createStreamDeployment('reborn', spec);
    assert.notEqual(second.metadata.uid, first.metadata.uid);
    const jm = await ns.jobManagerDeployment('reborn', jobIdFor(second.metadata.uid, 1), 60_000);
    const ref = jm.spec?.template.spec?.containers
      .find((c) => c.name === 'jobmanager')
      ?.env?.find((e) => e.name === 'BROOK_CLUSTER_SECRET')?.valueFrom?.secretKeyRef?.name;
    assert.ok(ref !== undefined && ref !== oldName, `the new pods name a Secret other than ${oldName}: ${ref}`);
    const secret = await eventually(() => ns.secret(ref), Boolean, 'the Secret the new pods name');
    assert.deepEqual(
      secret?.metadata?.ownerReferences?.map((o) => o.uid),
      [second.metadata.uid],
      'owned by the new incarnation',
    );
    assert.equal(secret?.metadata?.deletionTimestamp, undefined, 'not being deleted');
  } finally {
    await ns.core.patchNamespacedSecret(
      { namespace: ns.name, name: oldName, body: { metadata: { finalizers: null } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }
});

test('StreamDeployments outside the watched namespaces are left alone', async () => {
  const watched = await namespace();
  const other = await namespace();
  await started(watched.controller({ jobManagerUrl: unreachable }));
  await other.createStreamDeployment('elsewhere', spec);
  const mine = await watched.createStreamDeployment('mine', spec);
  await watched.jobManagerDeployment('mine', jobIdFor(mine.metadata.uid, 1));
  const untouched = await other.get('elsewhere');
  assert.equal(untouched?.status, undefined);
  assert.equal(untouched?.metadata.finalizers, undefined);
  assert.equal(await other.deployment(childNames('elsewhere').jobManager), undefined);
});

async function clusterSecretOf(ns: TestNamespace, name: string, uid: string): Promise<string> {
  const secret = await ns.core.readNamespacedSecret({ namespace: ns.name, name: clusterSecretName(name, uid) });
  return secret.data!.secret!;
}
