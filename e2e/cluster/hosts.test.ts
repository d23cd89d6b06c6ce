// The hosts file a pod gets: its own name, its hostAliases, the API server,
// and each Service's names mapped to its ready backing pods, oldest first.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { endpointPods, hostsFile } from './hosts.ts';
import type { Pod, Service } from './objects.ts';

function pod(name: string, ip: string, labels: Record<string, string>, ready: boolean, extra: Partial<Pod> = {}): Pod {
  return {
    metadata: { name, namespace: 'shop', uid: name, labels, creationTimestamp: `2026-01-01T00:00:0${name.length}Z` },
    spec: { containers: [] },
    status: {
      phase: 'Running',
      podIP: ip,
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
    ...extra,
  };
}

function service(name: string, selector: Record<string, string>, spec: Partial<Service['spec']> = {}): Service {
  return { metadata: { name, namespace: 'shop', uid: name }, spec: { selector, ...spec } };
}

const web1 = pod('web-a', '127.30.0.1', { app: 'web' }, true);
const web2 = pod('web-bb', '127.30.0.2', { app: 'web' }, true);
const webUnready = pod('web-ccc', '127.30.0.3', { app: 'web' }, false);
const webDeleting = pod('web-d', '127.30.0.4', { app: 'web' }, true, {
  metadata: { ...web1.metadata, name: 'web-d', deletionTimestamp: '2026-01-01T00:00:00Z' },
});
const db = pod('db', '127.30.0.9', { app: 'db' }, true);
const all = [webUnready, web2, web1, webDeleting, db];

test('a Service is backed by its ready, not terminating, selected pods, oldest first', () => {
  assert.deepEqual(
    endpointPods(service('web', { app: 'web' }), all).map((p) => p.metadata.name),
    ['web-a', 'web-bb'],
  );
});

test('publishNotReadyAddresses includes unready pods; a Service without a selector has none', () => {
  const names = (s: Service) => endpointPods(s, all).map((p) => p.metadata.name);
  assert.deepEqual(names(service('web', { app: 'web' }, { publishNotReadyAddresses: true })), [
    'web-a',
    'web-bb',
    'web-ccc',
  ]);
  assert.deepEqual(names(service('external', {})), []);
});

test('the hosts file names the pod, its aliases, the API server and every Service with its four names', () => {
  const client = pod('client', '127.30.0.7', {}, true, {
    spec: { containers: [], hostAliases: [{ ip: '127.0.0.1', hostnames: ['kafka', 'redis'] }] },
  });
  const other: Service = {
    metadata: { name: 'cache', namespace: 'other', uid: 'x' },
    spec: { selector: { app: 'cache' } },
  };
  const cachePod = pod('cache-1', '127.30.0.8', { app: 'cache' }, true);
  cachePod.metadata.namespace = 'other';
  const text = hostsFile(
    client,
    '127.30.0.7',
    [service('web', { app: 'web' }), other],
    [...all, cachePod],
    '127.0.0.1',
  );
  const lines = text.trim().split('\n').slice(1);
  assert.deepEqual(lines, [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    '127.30.0.7\tclient',
    '127.0.0.1\tkafka redis',
    '127.0.0.1\tkubernetes.default.svc.cluster.local kubernetes.default.svc kubernetes.default',
    '127.30.0.8\tcache.other.svc.cluster.local cache.other.svc cache.other',
    '127.30.0.1\tweb.shop.svc.cluster.local web.shop.svc web.shop web',
    '127.30.0.2\tweb.shop.svc.cluster.local web.shop.svc web.shop web',
  ]);
});

test('a headless Service also names its pods that set hostname and subdomain', () => {
  const member = pod('kafka-0', '127.30.0.5', { app: 'kafka' }, true, {
    spec: { containers: [], hostname: 'kafka-0', subdomain: 'kafka' },
  });
  const text = hostsFile(
    member,
    '127.30.0.5',
    [service('kafka', { app: 'kafka' }, { clusterIP: 'None' })],
    [member],
    '127.0.0.1',
  );
  assert.match(text, /^127\.30\.0\.5\tkafka-0\.kafka\.shop\.svc\.cluster\.local\tkafka-0$/m);
  assert.match(text, /^127\.30\.0\.5\tkafka-0\.kafka\.shop\.svc\.cluster\.local kafka-0\.kafka\.shop\.svc$/m);
});
