// Container environments as the kubelet builds them: downward API fields,
// resource fields, ConfigMap and Secret keys (optional or not), envFrom with
// prefixes, and $(VAR) expansion with $$ escapes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ContainerConfigError, containerEnvironment, expand, type EnvSources } from './environment.ts';
import type { Container, Pod } from './objects.ts';

const facts = {
  podIP: '127.40.0.3',
  hostIP: '127.0.0.1',
  allocatable: { cpu: '2', memory: '4Gi', 'ephemeral-storage': '100Gi' },
};
const sources: EnvSources = {
  configMaps: new Map([['settings', { colour: 'teal', size: '3' }]]),
  secrets: new Map([['creds', { password: 'pw' }]]),
};

function podWith(container: Container): Pod {
  return {
    metadata: { name: 'p', namespace: 'ns', uid: 'u-1', labels: { tier: 'front' }, annotations: { note: 'hi' } },
    spec: { nodeName: 'node-1', serviceAccountName: 'sa', containers: [container] },
  };
}

const env = (container: Container, base: Record<string, string> = {}) =>
  containerEnvironment(podWith(container), container, facts, base, sources);

test('expansion replaces known names, keeps unknown ones and unescapes $$', () => {
  const vars = { A: 'x', B: 'y' };
  assert.equal(expand('$(A)-$(B)-$(C)-$$(A)-$$-$', vars), 'x-y-$(C)-$(A)-$-$');
});

test('downward API and resource fields', () => {
  const result = env({
    name: 'c',
    resources: { limits: { cpu: '500m', memory: '512Mi' } },
    env: [
      { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'HOST', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
      { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
      { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
      { name: 'TIER', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } },
      { name: 'NOTE', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['note']" } } },
      { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
      { name: 'CPU_M', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } },
      { name: 'MEM_MI', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
      { name: 'REQ_MEM', valueFrom: { resourceFieldRef: { resource: 'requests.memory' } } },
    ],
  });
  assert.deepEqual(result, {
    IP: '127.40.0.3',
    HOST: '127.0.0.1',
    NAME: 'p',
    NS: 'ns',
    UID: 'u-1',
    NODE: 'node-1',
    SA: 'sa',
    TIER: 'front',
    NOTE: 'hi',
    CPU: '1',
    CPU_M: '500',
    MEM_MI: '512',
    REQ_MEM: '0',
  });
});

test('a missing limit shows the node allocatable', () => {
  const result = env({
    name: 'c',
    env: [{ name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Gi' } } }],
  });
  assert.equal(result.MEM, '4');
});

test('envFrom with a prefix comes before env, env overrides base and may refer to earlier values', () => {
  const result = env(
    {
      name: 'c',
      envFrom: [{ configMapRef: { name: 'settings' }, prefix: 'CFG_' }, { secretRef: { name: 'creds' } }],
      env: [
        { name: 'PATH', value: '/opt/bin:$(PATH)' },
        { name: 'MSG', value: '$(CFG_colour)/$(password)' },
        { name: 'COLOUR', valueFrom: { configMapKeyRef: { name: 'settings', key: 'colour' } } },
      ],
    },
    { PATH: '/usr/bin' },
  );
  assert.deepEqual(result, {
    PATH: '/opt/bin:/usr/bin',
    CFG_colour: 'teal',
    CFG_size: '3',
    password: 'pw',
    MSG: 'teal/pw',
    COLOUR: 'teal',
  });
});

test('missing ConfigMaps, Secrets and keys fail unless optional', () => {
  const missing = (ref: object) => env({ name: 'c', env: [{ name: 'X', valueFrom: ref }] });
  assert.throws(() => missing({ configMapKeyRef: { name: 'nope', key: 'k' } }), ContainerConfigError);
  assert.throws(() => missing({ configMapKeyRef: { name: 'settings', key: 'nope' } }), /couldn't find key nope/);
  assert.throws(() => missing({ secretKeyRef: { name: 'nope', key: 'k' } }), /secret "nope" not found/);
  assert.deepEqual(missing({ secretKeyRef: { name: 'nope', key: 'k', optional: true } }), {});
  assert.deepEqual(env({ name: 'c', envFrom: [{ configMapRef: { name: 'nope', optional: true } }] }), {});
});
