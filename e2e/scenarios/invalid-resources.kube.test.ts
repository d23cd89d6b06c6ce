// Scenario 8 of the end-to-end issue: with the CRDs the chart installs, a
// StreamDeployment that breaks the schema (types, enums, required fields) or a
// CEL rule is refused by `kubectl apply` with a message that names the field,
// and nothing is stored. Each case is the recommendation example with one
// field broken; the examples themselves pass the same server-side check.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseAllDocuments, stringify } from 'yaml';
import { ensureServices, helm, kubectl, succeeded } from '../../scripts/testenv/index.ts';
import { chartPath, repositoryRoot } from './brook-install.ts';

const namespace = `e2e-invalid-${randomBytes(4).toString('hex')}`;

/** The fields the cases break; the example is parsed into this shape, anything else is carried along. */
interface Example {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    image?: unknown;
    config: Record<string, unknown>;
    jobManager: { replicas?: unknown };
    taskManager: { replicas?: unknown; resource: { memory?: unknown } };
    job: { entry?: unknown; upgradeMode?: unknown; restartPolicy?: unknown; parallelism?: unknown };
  };
}

const example = (): Example =>
  parseAllDocuments(readFileSync(join(repositoryRoot, 'examples', 'recommendation', 'streamdeployment.yaml'), 'utf8'))
    .map((d) => d.toJS() as Example)
    .find((d) => d.kind === 'StreamDeployment')!;

before(async () => {
  await ensureServices('kubernetes');
  // The operator is not needed to refuse a resource: the API server does it with the chart's CRDs.
  succeeded(
    'helm install',
    helm([
      'install',
      'brook',
      chartPath,
      // The chart's CRDs win over ones applied earlier by kubectl (see brook-install.ts).
      '--force-conflicts',
      '--namespace',
      namespace,
      '--create-namespace',
      '--set',
      'replicas=0',
      '--set',
      `watchNamespaces={${namespace}}`,
    ]),
  );
  succeeded(
    'kubectl wait',
    kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/streamdeployments.brook.dev']),
  );
});

after(() => {
  kubectl(['delete', 'namespace', namespace, '--wait=false']);
});

function apply(resource: Example) {
  return kubectl(['apply', '--namespace', namespace, '-f', '-'], stringify(resource));
}

test('every example manifest is accepted by the same server-side validation', () => {
  const manifests = readdirSync(join(repositoryRoot, 'examples'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('streamdeployment.yaml'))
    .map((f) => join(repositoryRoot, 'examples', f));
  assert.ok(manifests.length >= 2, manifests.join(', '));
  for (const file of manifests) {
    succeeded(
      `kubectl apply --dry-run=server -f ${file}`,
      kubectl(['apply', '--namespace', namespace, '--dry-run=server', '-f', file]),
    );
  }
});

const cases: [what: string, breakIt: (r: Example) => void, message: RegExp][] = [
  [
    'a string where the schema wants an integer',
    (r) => (r.spec.taskManager.replicas = 'two'),
    /spec\.taskManager\.replicas: Invalid value: "string": spec\.taskManager\.replicas in body must be of type integer/,
  ],
  [
    'an upgrade mode that does not exist',
    (r) => (r.spec.job.upgradeMode = 'snapshot'),
    /spec\.job\.upgradeMode: Unsupported value: "snapshot": supported values: "stateless", "savepoint", "last-state"/,
  ],
  ['no image', (r) => delete r.spec.image, /spec\.image: Required value/],
  ['no job entry', (r) => delete r.spec.job.entry, /spec\.job\.entry: Required value/],
  [
    'a memory amount that is not a quantity',
    (r) => (r.spec.taskManager.resource.memory = 'lots'),
    /spec\.taskManager\.resource\.memory: Invalid value: "lots": spec\.taskManager\.resource\.memory in body should match/,
  ],
  [
    'parallelism above the TaskManagers (CEL)',
    (r) => (r.spec.job.parallelism = 3),
    /spec\.job\.parallelism: Invalid value: .*spec\.job\.parallelism must not exceed spec\.taskManager\.replicas/,
  ],
  [
    'two JobManagers (CEL)',
    (r) => (r.spec.jobManager.replicas = 2),
    /spec\.jobManager\.replicas: Invalid value: .*spec\.jobManager\.replicas must be 1/,
  ],
  [
    'last-state without a checkpoint directory (CEL)',
    (r) => {
      r.spec.job.upgradeMode = 'last-state';
      r.spec.job.restartPolicy = 'Never';
      delete r.spec.config['state.checkpoints.dir'];
    },
    /spec\.job\.upgradeMode: Required value: spec\.job\.upgradeMode last-state needs spec\.config\["state\.checkpoints\.dir"\]/,
  ],
  [
    'a savepoint directory that is not a URI (CEL)',
    (r) => (r.spec.config['state.savepoints.dir'] = '/data/savepoints'),
    /spec\.config: Invalid value: .*spec\.config\["state\.savepoints\.dir"\] must be a file:\/\/\/path or s3:\/\/bucket\/prefix URI/,
  ],
  [
    'an operator setting of the wrong kind (CEL)',
    (r) => (r.spec.config['kubernetes.operator.savepoint.history.max.count'] = 'five'),
    /spec\.config\["kubernetes\.operator\.savepoint\.history\.max\.count"\] must be a whole number/,
  ],
];

for (const [what, breakIt, message] of cases) {
  test(`refused with the field named: ${what}`, () => {
    const resource = example();
    resource.metadata.name = `bad-${randomBytes(3).toString('hex')}`;
    breakIt(resource);
    const result = apply(resource);
    assert.notEqual(result.status, 0, `accepted: ${result.stdout}`);
    assert.match(result.stderr, /The StreamDeployment ".*" is invalid/);
    assert.match(result.stderr, message);
    const stored = kubectl(['get', 'streamdeployment', resource.metadata.name, '--namespace', namespace]);
    assert.match(stored.stderr, /NotFound/, 'nothing was stored');
  });
}
