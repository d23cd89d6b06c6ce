// The generated CRDs against a real kube-apiserver (testenv's): they are
// accepted, a bad StreamDeployment is refused at apply time with the CEL
// messages naming each field, a good one is stored with its defaults, and the
// scale subresource moves spec.taskManager.replicas.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { endpoints, ensureServices } from '../../scripts/testenv/index.ts';

const namespace = `brook-crd-${randomBytes(4).toString('hex')}`;
const crds = join(import.meta.dirname, '..', '..', 'crds');

function kubectl(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(endpoints.kubernetes.kubectl, args, {
    input,
    encoding: 'utf8',
    env: { ...process.env, KUBECONFIG: endpoints.kubernetes.kubeconfig },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

before(async () => {
  await ensureServices('kubernetes');
  execFileSync(endpoints.kubernetes.kubectl, ['apply', '--server-side', '-f', crds], {
    env: { ...process.env, KUBECONFIG: endpoints.kubernetes.kubeconfig },
  });
  // A new CRD takes a moment to be served.
  execFileSync(
    endpoints.kubernetes.kubectl,
    [
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/streamdeployments.brook.dev',
      'crd/streamsnapshots.brook.dev',
    ],
    { env: { ...process.env, KUBECONFIG: endpoints.kubernetes.kubeconfig } },
  );
  assert.equal(kubectl(['create', 'namespace', namespace]).status, 0);
});

after(() => {
  kubectl(['delete', 'namespace', namespace, '--wait=false']);
});

const resource = (name: string, job: string, replicas: number) => `
apiVersion: brook.dev/v1beta1
kind: StreamDeployment
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  image: brook:dev
  job: ${job}
  taskManager: {replicas: ${replicas}}
`;

test('a bad StreamDeployment is refused at apply with a message naming each field', () => {
  const applied = kubectl(
    ['apply', '-f', '-'],
    resource(
      'bad',
      '{entry: /opt/brook/examples/wordcount/job.ts, upgradeMode: savepoint, initialSavepointPath: "not a uri"}',
      0,
    ),
  );
  assert.notEqual(applied.status, 0);
  assert.match(applied.stderr, /spec\.job\.upgradeMode: .*needs spec\.config\["state\.savepoints\.dir"\]/);
  assert.match(
    applied.stderr,
    /spec\.job\.initialSavepointPath: .*must be a file:\/\/\/path or s3:\/\/bucket\/path URI/,
  );
  assert.match(applied.stderr, /spec\.taskManager\.replicas: .*must be at least 1/);
});

test('a good StreamDeployment is stored with defaults and scales through the scale subresource', () => {
  const applied = kubectl(['apply', '-f', '-'], resource('good', '{entry: /opt/brook/examples/wordcount/job.ts}', 2));
  assert.equal(applied.status, 0, applied.stderr);
  const stored = JSON.parse(kubectl(['get', 'sdep', 'good', '-n', namespace, '-o', 'json']).stdout) as {
    spec: { job: { upgradeMode: string }; taskManager: { replicas: number } };
  };
  assert.equal(stored.spec.job.upgradeMode, 'stateless');
  assert.equal(kubectl(['scale', 'sdep/good', '-n', namespace, '--replicas=3']).status, 0);
  const scaled = kubectl(['get', 'sdep', 'good', '-n', namespace, '-o', 'jsonpath={.spec.taskManager.replicas}']);
  assert.equal(scaled.stdout, '3');
});
