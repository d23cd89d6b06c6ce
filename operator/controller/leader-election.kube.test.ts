// Leader election between two operator replicas against testenv's real
// kube-apiserver: one is `brook operator` in its own process, the other a
// controller in this one. Only the Lease holder acts; a graceful stop
// (SIGTERM) releases the Lease and the other takes over at once; a replica
// killed with SIGKILL is replaced once its Lease expires.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { CoordinationV1Api, V1MicroTime, type KubeConfig } from '@kubernetes/client-node';
import { endpoints } from '../../scripts/testenv/index.ts';
import { jobIdFor } from '../reconcile/ids.ts';
import { eventually } from '../../runtime/testing/wait-until.ts';
import { kubernetesWithCrds, TestNamespace } from './testing/kube-fixture.ts';

const script = new URL('./testing/operator-process.ts', import.meta.url).pathname;
const spec = { job: { entry: '/opt/brook/examples/wordcount/job.ts' } };
const lease = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 300 };

let kc: KubeConfig;
const namespaces: TestNamespace[] = [];
const processes: ChildProcess[] = [];

before(async () => {
  kc = await kubernetesWithCrds();
});

after(async () => {
  for (const child of processes) child.kill('SIGKILL');
  await Promise.all(namespaces.map((ns) => ns.dispose()));
});

class OperatorProcess {
  stderr = '';
  readonly exited: Promise<number | null>;
  constructor(readonly child: ChildProcess) {
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }
}

function startOperatorProcess(ns: TestNamespace, identity: string, leaseName: string): OperatorProcess {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      script,
      '--kubeconfig',
      endpoints.kubernetes.kubeconfig,
      '--namespaces',
      ns.name,
      '--leader-election-namespace',
      ns.name,
      '--lease-name',
      leaseName,
      '--lease-duration',
      '3s',
      '--metrics-port',
      '0',
      '--jobmanager-url',
      'http://127.0.0.1:1',
    ],
    { env: { ...process.env, POD_NAME: identity, BROOK_LOG_LEVEL: 'info' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  processes.push(child);
  return new OperatorProcess(child);
}

async function readLease(ns: TestNamespace, name: string) {
  return kc.makeApiClient(CoordinationV1Api).readNamespacedLease({ namespace: ns.name, name });
}

/** A namespace where replica-a (an operator process) holds the Lease and replica-b (a controller here) stands by, synced. */
async function leaderAndStandby() {
  const ns = await TestNamespace.create(kc, 'brook-le');
  namespaces.push(ns);
  const a = startOperatorProcess(ns, 'replica-a', 'operator');
  await eventually(
    async () => a.stderr,
    (text) => text.includes('"msg":"became leader"'),
    'replica-a leads',
    30_000,
  );
  const b = ns.controller({
    identity: 'replica-b',
    leaderElection: { namespace: ns.name, leaseName: 'operator', ...lease },
  });
  await b.start();
  await b.whenSynced();
  return { ns, a, b };
}

test('only the Lease holder acts; SIGTERM releases the Lease and the standby takes over at once', async () => {
  const { ns, a, b } = await leaderAndStandby();

  const first = await ns.createStreamDeployment('first', spec);
  await ns.jobManagerDeployment('first', jobIdFor(first.metadata.uid, 1));
  assert.equal((await readLease(ns, 'operator')).spec?.holderIdentity, 'replica-a');
  assert.equal(b.isLeader, false);
  assert.equal(b.reconcileCount, 0, 'the standby reconciled nothing');

  a.child.kill('SIGTERM');
  assert.equal(await a.exited, 0, a.stderr);
  assert.match(a.stderr, /"msg":"released the Lease"/);
  const handedOver = Date.now();
  await eventually(async () => b.isLeader, Boolean, 'replica-b leads', 10_000);
  // Released, so no waiting for the 3 s Lease to expire.
  assert.ok(Date.now() - handedOver < 3_000, `took over after ${Date.now() - handedOver} ms`);
  assert.equal((await readLease(ns, 'operator')).spec?.holderIdentity, 'replica-b');

  const second = await ns.createStreamDeployment('second', spec);
  await ns.jobManagerDeployment('second', jobIdFor(second.metadata.uid, 1));
  assert.ok(b.reconcileCount > 0);
});

test('a leader killed with SIGKILL keeps its Lease until it expires; then the standby takes over and acts', async () => {
  const { ns, a, b } = await leaderAndStandby();
  const before = (await readLease(ns, 'operator')).spec!;

  a.child.kill('SIGKILL');
  await a.exited;
  const killed = Date.now();
  await eventually(async () => b.isLeader, Boolean, 'replica-b leads', 15_000);
  const waited = Date.now() - killed;
  // Renewed at most ~0.6 s before the kill; the standby must wait out the rest of the 3 s Lease.
  assert.ok(waited >= 2_000, `took over after only ${waited} ms`);
  const after = (await readLease(ns, 'operator')).spec!;
  assert.equal(after.holderIdentity, 'replica-b');
  assert.equal(after.leaseTransitions, (before.leaseTransitions ?? 0) + 1);

  const created = await ns.createStreamDeployment('orphaned', spec);
  await ns.jobManagerDeployment('orphaned', jobIdFor(created.metadata.uid, 1));
  assert.ok(b.reconcileCount > 0);
});

test('a leader that finds its Lease taken stops acting at once, and acts again once it has the Lease back', async () => {
  const ns = await TestNamespace.create(kc, 'brook-le');
  namespaces.push(ns);
  const c = ns.controller({
    identity: 'replica-c',
    leaderElection: { namespace: ns.name, leaseName: 'operator', ...lease },
  });
  await c.start();
  await eventually(async () => c.isLeader, Boolean, 'replica-c leads', 10_000);
  await c.whenSynced();

  // Another holder writes the Lease (as after a partition that outlasted the Lease): 2 s from now.
  const coordination = kc.makeApiClient(CoordinationV1Api);
  const current = await readLease(ns, 'operator');
  await coordination.replaceNamespacedLease({
    namespace: ns.name,
    name: 'operator',
    body: {
      ...current,
      spec: {
        ...current.spec,
        holderIdentity: 'intruder',
        leaseDurationSeconds: 2,
        renewTime: new V1MicroTime(Date.now()),
      },
    },
  });
  await eventually(
    async () => c.isLeader,
    (leading) => !leading,
    'replica-c steps down',
    5_000,
  );
  const reconciles = c.reconcileCount;
  const created = await ns.createStreamDeployment('while-away', spec);
  await eventually(async () => c.streamDeployments.get(ns.name, 'while-away'), Boolean, 'replica-c has seen it');
  const untouched = await ns.get('while-away');
  assert.equal(untouched?.metadata.finalizers, undefined, 'no finalizer while not leading');
  assert.equal(c.reconcileCount, reconciles, 'no reconcile while not leading');

  // The intruder does not renew: its Lease expires and replica-c takes it back, and catches up.
  await eventually(async () => c.isLeader, Boolean, 'replica-c leads again', 10_000);
  await ns.jobManagerDeployment('while-away', jobIdFor(created.metadata.uid, 1));
  assert.equal((await readLease(ns, 'operator')).spec?.holderIdentity, 'replica-c');
});
