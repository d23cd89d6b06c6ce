// The informer against testenv's real kube-apiserver: it lists what exists,
// follows changes through its watch, and when the resourceVersion it watches
// from is too old (410 Gone) it lists again and goes on watching.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { KubeConfig } from '@kubernetes/client-node';
import { Informer, type ChangeType } from './informer.ts';
import { KubeApi } from './kube-api.ts';
import { streamDeployments } from './kube-resources.ts';
import { waitUntil } from '../../runtime/testing/wait-until.ts';
import { kubernetesWithCrds, TestNamespace } from './testing/kube-fixture.ts';

let kc: KubeConfig;
let ns: TestNamespace;
let informer: Informer | undefined;

before(async () => {
  kc = await kubernetesWithCrds();
  ns = await TestNamespace.create(kc, 'brook-inf');
});

after(async () => {
  await informer?.stop();
  await ns.dispose();
});

const spec = { job: { entry: '/opt/brook/examples/wordcount/job.ts' } };

test('lists what exists, follows adds, updates and deletes, and re-lists after 410 Gone', async () => {
  await ns.createStreamDeployment('before', spec);
  const seen: [ChangeType, string][] = [];
  informer = new Informer({
    api: new KubeApi(kc),
    kind: streamDeployments,
    namespaces: [ns.name],
    log: pino({ level: 'silent' }),
    onChange: (type, object) => seen.push([type, object.metadata?.name ?? '']),
  });
  informer.start();
  await informer.whenSynced();
  assert.deepEqual(seen, [['add', 'before']], 'what the list found');

  await ns.createStreamDeployment('during', spec);
  await ns.patch('before', { spec: { image: 'brook:test-2' } });
  await ns.delete('during');
  await waitUntil(() => seen.length === 4, 'the watch delivered three changes', 10_000);
  assert.deepEqual(seen.slice(1), [
    ['add', 'during'],
    ['update', 'before'],
    ['delete', 'during'],
  ]);
  assert.equal((informer.get(ns.name, 'before') as { spec?: { image?: string } }).spec?.image, 'brook:test-2');

  // resourceVersion 1 predates the API server's watch cache of StreamDeployments (it starts
  // when the CRD is established): the watch is refused with 410 Gone.
  assert.equal(informer.relists, 0);
  informer.restartWatch('1');
  await waitUntil(() => informer!.relists === 1, 'the informer re-listed', 10_000);
  assert.deepEqual(
    informer.list().map((o) => o.metadata?.name),
    ['before'],
    'the cache is what the list found',
  );
  assert.equal(seen.length, 4, 'a re-list of unchanged objects reports no change');
  // And it watches again, from the list's resourceVersion.
  await ns.createStreamDeployment('after', spec);
  await waitUntil(() => informer!.get(ns.name, 'after') !== undefined, 'the watch resumed', 10_000);
  assert.deepEqual(seen.at(-1), ['add', 'after']);
});
