// The chart through real helm (built by testenv): it lints; it renders the
// operator Deployment, least-privilege RBAC (cluster-wide, or per watched
// namespace) and the optional ServiceMonitor as expected; it ships exactly
// crds/; and installed on testenv's kube-apiserver, its service account may do
// what the controller does where it should, and nothing else.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { before, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { operatorFlags, operatorFlagsSchema } from '../../cli/operator-command.ts';
import { parseDefaultConfig } from '../../operator/resource/default-config.ts';
import { ensureServices, helm, kubectl, succeeded } from '../../scripts/testenv/index.ts';
import { HELM_VERSION } from '../../scripts/testenv/kubernetes/versions.ts';

const chart = import.meta.dirname;
const crdsDir = join(chart, '..', '..', 'crds');

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

function render(values: string[] = [], namespace = 'brook-system'): Manifest[] {
  const out = succeeded(
    'helm template',
    helm(['template', 'brook', chart, '--namespace', namespace, ...values.flatMap((v) => ['--set', v])]),
  );
  return parseAllDocuments(out)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

const find = (manifests: Manifest[], kind: string, name: string, namespace?: string) => {
  const found = manifests.filter(
    (m) =>
      m.kind === kind && m.metadata.name === name && (namespace === undefined || m.metadata.namespace === namespace),
  );
  assert.equal(found.length, 1, `one ${kind} ${namespace ?? ''}/${name} in ${kinds(manifests).join(', ')}`);
  return found[0]!;
};

const kinds = (manifests: Manifest[]) =>
  manifests.map((m) => `${m.kind}/${m.metadata.namespace ? `${m.metadata.namespace}/` : ''}${m.metadata.name}`).sort();

// What the controller calls where StreamDeployments live (docs/operator.md, "Permissions"), written out here
// independently of the chart's helper.
const workloadRules: Rule[] = [
  { apiGroups: ['brook.dev'], resources: ['streamdeployments'], verbs: ['get', 'list', 'watch', 'patch'] },
  { apiGroups: ['brook.dev'], resources: ['streamdeployments/status'], verbs: ['update'] },
  {
    apiGroups: ['brook.dev'],
    resources: ['streamsnapshots'],
    verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'],
  },
  { apiGroups: ['brook.dev'], resources: ['streamsnapshots/status'], verbs: ['patch'] },
  { apiGroups: ['brook.dev'], resources: ['streamdeployments/finalizers'], verbs: ['update'] },
  { apiGroups: ['apps'], resources: ['deployments'], verbs: ['list', 'watch', 'create', 'patch', 'delete'] },
  { apiGroups: [''], resources: ['services', 'configmaps'], verbs: ['list', 'watch', 'create', 'patch'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create'] },
  { apiGroups: [''], resources: ['pods'], verbs: ['list'] },
  { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
];
/** Rules compared as a set: their order means nothing to RBAC. */
const ruleSet = (rules: unknown) =>
  (rules as Rule[]).map((r) => JSON.stringify([r.apiGroups, r.resources, [...r.verbs].sort()])).sort();

const leaseRules: Rule[] = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
];

interface Container {
  name: string;
  image: string;
  args: string[];
  env: { name: string; value?: string; valueFrom?: unknown }[];
  ports: { name: string; containerPort: number }[];
  livenessProbe: unknown;
  readinessProbe: unknown;
  securityContext: unknown;
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
}

function operatorPod(manifests: Manifest[]) {
  const deployment = find(manifests, 'Deployment', 'brook', 'brook-system') as unknown as {
    spec: {
      replicas: number;
      template: {
        metadata: { annotations: Record<string, string> };
        spec: {
          serviceAccountName: string;
          securityContext: unknown;
          containers: Container[];
          volumes: { name: string; emptyDir?: unknown; configMap?: unknown }[];
        };
      };
    };
  };
  assert.equal(deployment.spec.template.spec.containers.length, 1);
  return { deployment, pod: deployment.spec.template.spec, container: deployment.spec.template.spec.containers[0]! };
}

/** The args as `brook operator` parses them: unknown flags or invalid values throw, as at the pod's start. */
function parseOperatorArgs(args: string[]) {
  assert.equal(args[0], 'operator');
  const options = Object.fromEntries(Object.entries(operatorFlags).map(([name, spec]) => [name, { type: spec.type }]));
  const { values, positionals } = parseArgs({ args: args.slice(1), options, strict: true, allowPositionals: true });
  assert.deepEqual(positionals, []);
  return operatorFlagsSchema.parse(values);
}

before(async () => {
  await ensureServices('kubernetes');
});

test("testenv's helm is the pinned release, built from source", () => {
  assert.equal(succeeded('helm version', helm(['version', '--template', '{{.Version}}'])), `v${HELM_VERSION}`);
});

test('helm lint passes, with default values and with watched namespaces', () => {
  succeeded('helm lint', helm(['lint', chart, '--strict']));
  succeeded('helm lint', helm(['lint', chart, '--strict', '--set', 'watchNamespaces={team-a,team-b}']));
});

test('default values: a ClusterRole with exactly the controller calls, the Lease Role in the release namespace, no ServiceMonitor', () => {
  const manifests = render();
  assert.deepEqual(kinds(manifests), [
    'ClusterRole/brook',
    'ClusterRoleBinding/brook',
    'ConfigMap/brook-system/brook-defaults',
    'Deployment/brook-system/brook',
    'Role/brook-system/brook-leader-election',
    'RoleBinding/brook-system/brook-leader-election',
    'Service/brook-system/brook-metrics',
    'ServiceAccount/brook-system/brook',
  ]);
  assert.deepEqual(ruleSet(find(manifests, 'ClusterRole', 'brook').rules), ruleSet(workloadRules));
  assert.deepEqual(ruleSet(find(manifests, 'Role', 'brook-leader-election').rules), ruleSet(leaseRules));
  for (const [kind, name, role] of [
    ['ClusterRoleBinding', 'brook', 'ClusterRole/brook'],
    ['RoleBinding', 'brook-leader-election', 'Role/brook-leader-election'],
  ] as const) {
    const binding = find(manifests, kind, name) as unknown as {
      roleRef: { kind: string; name: string };
      subjects: unknown[];
    };
    assert.equal(`${binding.roleRef.kind}/${binding.roleRef.name}`, role);
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'brook', namespace: 'brook-system' }]);
  }
});

test('the operator Deployment: flags brook operator accepts, metrics port and probes, non-root and read-only', () => {
  const { deployment, pod, container } = operatorPod(render());
  assert.equal(deployment.spec.replicas, 1);
  assert.equal(pod.serviceAccountName, 'brook');
  const chartYaml = readFileSync(join(chart, 'Chart.yaml'), 'utf8');
  assert.equal(container.image, `brook:${/^appVersion: '(.+)'$/m.exec(chartYaml)![1]}`);
  assert.deepEqual(container.args, [
    'operator',
    '--metrics-port=8080',
    '--workers=2',
    '--resync-period=10 min',
    '--default-config=/etc/brook/operator/defaults.yaml',
    '--leader-election-namespace=brook-system',
    '--lease-name=brook-operator',
    '--lease-duration=15s',
  ]);
  const flags = parseOperatorArgs(container.args);
  assert.equal(flags['metrics-port'], 8080);
  assert.equal(flags['lease-duration'], 15_000);
  assert.equal(flags.namespaces, undefined, 'all namespaces');
  assert.deepEqual(container.ports, [{ name: 'metrics', containerPort: 8080, protocol: 'TCP' }]);
  assert.deepEqual(container.livenessProbe, {
    httpGet: { path: '/healthz', port: 'metrics' },
    periodSeconds: 10,
    failureThreshold: 3,
  });
  assert.deepEqual(container.readinessProbe, { httpGet: { path: '/readyz', port: 'metrics' }, periodSeconds: 5 });
  const env = new Map(container.env.map((e) => [e.name, e]));
  assert.deepEqual(env.get('POD_IP')?.valueFrom, { fieldRef: { fieldPath: 'status.podIP' } });
  assert.deepEqual(env.get('POD_NAME')?.valueFrom, { fieldRef: { fieldPath: 'metadata.name' } });
  assert.equal(env.has('AWS_ENDPOINT_URL_S3'), false, 'AWS unless an endpoint is set');
  assert.deepEqual(pod.securityContext, {
    runAsNonRoot: true,
    runAsUser: 1000,
    fsGroup: 1000,
    seccompProfile: { type: 'RuntimeDefault' },
  });
  assert.deepEqual(container.securityContext, {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  });
  // A read-only root needs a writable /tmp for tsx's compile cache.
  assert.deepEqual(container.volumeMounts, [
    { name: 'tmp', mountPath: '/tmp' },
    { name: 'default-configuration', mountPath: '/etc/brook/operator', readOnly: true },
  ]);
  assert.deepEqual(pod.volumes, [
    { name: 'tmp', emptyDir: {} },
    { name: 'default-configuration', configMap: { name: 'brook-defaults' } },
  ]);
});

test('watched namespaces: a Role and RoleBinding in each of them and no cluster-wide grant; the operator told which', () => {
  const manifests = render(['watchNamespaces={team-a,team-b}', 'leaderElection.leaseDuration=30s']);
  assert.deepEqual(kinds(manifests), [
    'ConfigMap/brook-system/brook-defaults',
    'Deployment/brook-system/brook',
    'Role/brook-system/brook-leader-election',
    'Role/team-a/brook',
    'Role/team-b/brook',
    'RoleBinding/brook-system/brook-leader-election',
    'RoleBinding/team-a/brook',
    'RoleBinding/team-b/brook',
    'Service/brook-system/brook-metrics',
    'ServiceAccount/brook-system/brook',
  ]);
  for (const namespace of ['team-a', 'team-b']) {
    assert.deepEqual(ruleSet(find(manifests, 'Role', 'brook', namespace).rules), ruleSet(workloadRules));
    const binding = find(manifests, 'RoleBinding', 'brook', namespace) as unknown as {
      roleRef: unknown;
      subjects: unknown[];
    };
    assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'brook' });
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'brook', namespace: 'brook-system' }]);
  }
  const flags = parseOperatorArgs(operatorPod(manifests).container.args);
  assert.deepEqual(flags.namespaces, ['team-a', 'team-b']);
  assert.equal(flags['lease-duration'], 30_000);
});

test('without leader election: no Lease Role and no Lease flags; an S3 endpoint and credentials reach the environment', () => {
  const manifests = render([
    'leaderElection.enabled=false',
    's3.endpoint=http://minio.storage:9000',
    's3.credentialsSecret=brook-s3',
  ]);
  assert.ok(!kinds(manifests).some((k) => k.includes('leader-election')));
  const { container } = operatorPod(manifests);
  const flags = parseOperatorArgs(container.args);
  assert.equal(flags['leader-election-namespace'], undefined);
  assert.equal(container.env.find((e) => e.name === 'AWS_ENDPOINT_URL_S3')?.value, 'http://minio.storage:9000');
  assert.deepEqual((container as unknown as { envFrom: unknown }).envFrom, [{ secretRef: { name: 'brook-s3' } }]);
});

test('defaultConfiguration: a file the operator reads back key for key; a change of it restarts the operator', () => {
  const defaults = {
    'state.checkpoints.dir': 's3://platform/checkpoints',
    'execution.checkpointing.interval': '10s',
    'parallelism.default': 4,
    'kubernetes.operator.deployment.rollback.enabled': true,
  };
  const renderWith = (values: object) =>
    parseAllDocuments(
      succeeded(
        'helm template',
        helm([
          'template',
          'brook',
          chart,
          '--namespace',
          'brook-system',
          '--set-json',
          `defaultConfiguration=${JSON.stringify(values)}`,
        ]),
      ),
    )
      .map((d) => d.toJS() as Manifest | null)
      .filter((m): m is Manifest => m !== null);
  const manifests = renderWith(defaults);
  const configMap = find(manifests, 'ConfigMap', 'brook-defaults', 'brook-system') as unknown as {
    data: Record<string, string>;
  };
  assert.deepEqual(parseDefaultConfig(configMap.data['defaults.yaml']!, 'defaults.yaml'), {
    'state.checkpoints.dir': 's3://platform/checkpoints',
    'execution.checkpointing.interval': '10s',
    'parallelism.default': '4',
    'kubernetes.operator.deployment.rollback.enabled': 'true',
  });
  const { container } = operatorPod(manifests);
  assert.equal(parseOperatorArgs(container.args)['default-config'], '/etc/brook/operator/defaults.yaml');
  // Empty by default, and still a file the operator reads.
  const empty = find(render(), 'ConfigMap', 'brook-defaults') as unknown as { data: Record<string, string> };
  assert.deepEqual(parseDefaultConfig(empty.data['defaults.yaml']!, 'defaults.yaml'), {});
  const checksum = (m: Manifest[]) =>
    operatorPod(m).deployment.spec.template.metadata.annotations['checksum/default-configuration'];
  assert.match(checksum(manifests)!, /^[0-9a-f]{64}$/);
  assert.equal(checksum(renderWith(defaults)), checksum(manifests));
  assert.notEqual(checksum(renderWith({ ...defaults, 'parallelism.default': 8 })), checksum(manifests));
});

test('the ServiceMonitor is off by default; enabled, it scrapes the metrics Service by its labels', () => {
  assert.ok(!kinds(render()).some((k) => k.startsWith('ServiceMonitor/')));
  const manifests = render(['metrics.serviceMonitor.enabled=true', 'metrics.serviceMonitor.labels.release=prom']);
  const monitor = find(manifests, 'ServiceMonitor', 'brook', 'brook-system') as unknown as {
    apiVersion: string;
    metadata: { labels: Record<string, string> };
    spec: { selector: { matchLabels: Record<string, string> }; endpoints: unknown[] };
  };
  assert.equal(monitor.apiVersion, 'monitoring.coreos.com/v1');
  assert.equal(monitor.metadata.labels.release, 'prom');
  assert.deepEqual(monitor.spec.endpoints, [{ port: 'metrics', path: '/metrics', interval: '30s' }]);
  const service = find(manifests, 'Service', 'brook-metrics') as unknown as {
    metadata: { labels: Record<string, string> };
    spec: { ports: { name: string }[] };
  };
  for (const [key, value] of Object.entries(monitor.spec.selector.matchLabels)) {
    assert.equal(service.metadata.labels[key], value, `the Service carries ${key}`);
  }
  assert.ok(service.spec.ports.some((p) => p.name === 'metrics'));
});

test('the chart ships exactly the CRDs of crds/', () => {
  const shipped = parseAllDocuments(succeeded('helm show crds', helm(['show', 'crds', chart])))
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null)
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  const expected = readdirSync(crdsDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => parseAllDocuments(readFileSync(join(crdsDir, f), 'utf8'))[0]!.toJS() as Manifest);
  assert.ok(expected.length >= 2);
  assert.deepEqual(shipped, expected);
});

test('installed with one watched namespace, its service account may do what the controller does there and nothing else', async (t) => {
  const suffix = randomBytes(4).toString('hex');
  const release = `brook-rbac-${suffix}`;
  const watched = `brook-rbac-watched-${suffix}`;
  const other = `brook-rbac-other-${suffix}`;
  succeeded('kubectl create namespace', kubectl(['create', 'namespace', watched]));
  t.after(() => {
    helm(['uninstall', 'brook', '--namespace', release, '--wait=false']);
    kubectl(['delete', 'namespace', release, watched, other, '--wait=false']);
  });
  succeeded('kubectl create namespace', kubectl(['create', 'namespace', other]));
  succeeded(
    'helm install',
    helm([
      'install',
      // The CRDs may be on the server already, applied by kubectl from another test file (or an older
      // crds/ on a server kept up between runs): the chart's must win, as in an upgrade.
      '--force-conflicts',
      'brook',
      chart,
      '--namespace',
      release,
      '--create-namespace',
      '--set',
      `watchNamespaces={${watched}}`,
    ]),
  );
  const as = `system:serviceaccount:${release}:brook`;
  const canI = (verb: string, resourceAndSubresource: string, namespace: string) => {
    const [resource, subresource] = resourceAndSubresource.split('/');
    const sub = subresource ? [`--subresource=${subresource}`] : [];
    return kubectl(['auth', 'can-i', verb, resource!, ...sub, '--namespace', namespace, '--as', as]).stdout.trim();
  };

  const allowed: [string, string, string][] = [
    ['watch', 'streamdeployments.brook.dev', watched],
    ['patch', 'streamdeployments.brook.dev', watched],
    ['update', 'streamdeployments.brook.dev/status', watched],
    ['update', 'streamdeployments.brook.dev/finalizers', watched],
    ['create', 'streamsnapshots.brook.dev', watched],
    ['delete', 'streamsnapshots.brook.dev', watched],
    ['patch', 'streamsnapshots.brook.dev/status', watched],
    ['create', 'deployments.apps', watched],
    ['delete', 'deployments.apps', watched],
    ['patch', 'services', watched],
    ['patch', 'configmaps', watched],
    ['create', 'events', watched],
    ['list', 'pods', watched],
    ['create', 'secrets', watched],
    ['update', 'leases.coordination.k8s.io', release],
  ];
  const refused: [string, string, string][] = [
    ['list', 'streamdeployments.brook.dev', other],
    ['list', 'streamsnapshots.brook.dev', other],
    ['update', 'streamdeployments.brook.dev/status', other],
    ['list', 'streamdeployments.brook.dev', release],
    ['create', 'deployments.apps', other],
    ['get', 'secrets', watched],
    ['list', 'secrets', watched],
    ['update', 'secrets', watched],
    ['create', 'secrets', other],
    ['get', 'pods', watched],
    ['create', 'pods', watched],
    ['delete', 'pods', watched],
    ['create', 'pods/exec', watched],
    ['list', 'pods', other],
    ['delete', 'streamdeployments.brook.dev', watched],
    ['watch', 'streamsnapshots.brook.dev', other],
    ['delete', 'services', watched],
    ['update', 'leases.coordination.k8s.io', watched],
    ['create', 'customresourcedefinitions.apiextensions.k8s.io', watched],
  ];
  for (const [verb, resource, namespace] of allowed) {
    assert.equal(canI(verb, resource, namespace), 'yes', `${verb} ${resource} in ${namespace}`);
  }
  for (const [verb, resource, namespace] of refused) {
    assert.equal(canI(verb, resource, namespace), 'no', `${verb} ${resource} in ${namespace}`);
  }
  assert.equal(
    kubectl(['auth', 'can-i', 'list', 'streamdeployments.brook.dev', '--all-namespaces', '--as', as]).stdout.trim(),
    'no',
  );
});
