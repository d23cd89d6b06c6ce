// The chart's monitoring objects, rendered by real helm and checked with
// Prometheus's own rule parser and PromQL engine (scripts/testenv/promql.ts):
// the PrometheusRule is a valid rule file, each alert fires on the series that
// mean trouble and stays quiet on healthy ones, every dashboard query is valid
// PromQL, and the dashboard ConfigMap and PodMonitor render as Grafana and the
// Prometheus Operator expect. (A kube test only because testenv builds helm
// with the control plane; no API server is called.)
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments, stringify } from 'yaml';
import { helm, succeeded } from '../../scripts/testenv/index.ts';
import { checkRuleFiles, runPromqlScript } from '../../scripts/testenv/promql.ts';
import { dashboardRows } from './grafana-dashboard.ts';
import { dashboardFile } from './generate.ts';

const chart = join(import.meta.dirname, '..', '..', 'helm', 'brook');

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
}

function render(values: string[]): Manifest[] {
  const out = succeeded(
    'helm template',
    helm(['template', 'brook', chart, '--namespace', 'monitoring', ...values.flatMap((v) => ['--set', v])]),
  );
  return parseAllDocuments(out)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

const only = (manifests: Manifest[], kind: string) => {
  const found = manifests.filter((m) => m.kind === kind);
  assert.equal(found.length, 1, `one ${kind} among ${manifests.map((m) => m.kind).join(', ')}`);
  return found[0]!;
};

const ruleSpec = () =>
  only(render(['prometheusRule.enabled=true']), 'PrometheusRule').spec as { groups: { rules: AlertRule[] }[] };
const alerts = () => new Map(ruleSpec().groups.flatMap((g) => g.rules.map((r) => [r.alert, r] as const)));

test('monitoring objects are off by default', () => {
  const kinds = render([]).map((m) => m.kind);
  for (const kind of ['PrometheusRule', 'PodMonitor', 'ServiceMonitor']) assert.ok(!kinds.includes(kind), kind);
  assert.ok(!render([]).some((m) => m.kind === 'ConfigMap' && m.metadata.name.endsWith('-dashboard')));
});

test("the PrometheusRule's spec is a rule file Prometheus accepts (promtool check rules)", async () => {
  const result = await checkRuleFiles([stringify(ruleSpec())]);
  assert.ok(result.ok, result.output);
});

test('the rule check refuses a broken expression, so the test above can fail', async () => {
  const broken = {
    groups: [{ name: 'x', rules: [{ alert: 'Broken', expr: 'sum by (job_name) (rate(brook_x[5m])' }] }],
  };
  const result = await checkRuleFiles([stringify(broken)]);
  assert.ok(!result.ok);
  assert.match(result.output, /unclosed left parenthesis|unexpected end of input/);
});

// Each case: series loaded at 1m steps, then the alert's expression evaluated
// at a moment; `fires` lists the label sets it must return (empty: quiet).
interface AlertCase {
  alert: string;
  what: string;
  series: string[];
  at: string;
  fires: string[];
}

const labels = 'namespace="shop", job_name="orders"';
const alertCases: AlertCase[] = [
  {
    alert: 'BrookJobNotRunning',
    what: 'a job that went from RUNNING to RESTARTING',
    series: [
      `brook_job_status{${labels}, state="RUNNING"} 1x5 0x10`,
      `brook_job_status{${labels}, state="RESTARTING"} 0x5 1x10`,
    ],
    at: '10m',
    fires: [`{${labels}}`],
  },
  {
    alert: 'BrookJobNotRunning',
    what: 'a running job',
    series: [`brook_job_status{${labels}, state="RUNNING"} 1x15`],
    at: '10m',
    fires: [],
  },
  {
    alert: 'BrookJobRestarting',
    what: 'five restarts in a quarter of an hour',
    series: [`brook_job_restarts_total{${labels}, job_id="a1"} 0 1 2 3 4 5 5 5 5 5 5 5 5 5 5 5`],
    at: '15m',
    fires: [`{${labels}}`],
  },
  {
    alert: 'BrookJobRestarting',
    what: 'one restart',
    series: [`brook_job_restarts_total{${labels}, job_id="a1"} 0 1x15`],
    at: '15m',
    fires: [],
  },
  {
    alert: 'BrookCheckpointsFailing',
    what: 'checkpoints failing and none completing',
    series: [
      `brook_job_checkpoints_failed_total{${labels}, job_id="a1"} 0+1x20`,
      `brook_job_checkpoints_completed_total{${labels}, job_id="a1"} 5x20`,
    ],
    at: '20m',
    fires: [`{${labels}}`],
  },
  {
    alert: 'BrookCheckpointsFailing',
    what: 'an occasional failure between completed checkpoints',
    series: [
      `brook_job_checkpoints_failed_total{${labels}, job_id="a1"} 0x10 1x10`,
      `brook_job_checkpoints_completed_total{${labels}, job_id="a1"} 0+1x20`,
    ],
    at: '20m',
    fires: [],
  },
  {
    alert: 'BrookCheckpointsStale',
    what: 'a running job whose last checkpoint is an hour old',
    series: [
      `brook_job_time_since_last_checkpoint_seconds{${labels}, job_id="a1"} 3000+60x20`,
      `brook_job_status{${labels}, state="RUNNING"} 1x20`,
    ],
    at: '20m',
    fires: [`{${labels}}`],
  },
  {
    alert: 'BrookCheckpointsStale',
    what: 'a suspended job (no checkpoints expected)',
    series: [
      `brook_job_time_since_last_checkpoint_seconds{${labels}, job_id="a1"} 3000+60x20`,
      `brook_job_status{${labels}, state="RUNNING"} 0x20`,
    ],
    at: '20m',
    fires: [],
  },
  {
    alert: 'BrookConsumerLagGrowing',
    what: 'pending records above the floor and rising',
    series: [
      `brook_source_pending_records{${labels}, operator_uid="src", operator_name="orders", subtask="0", split="orders-0"} 8000+500x30`,
      `brook_source_pending_records{${labels}, operator_uid="src", operator_name="orders", subtask="1", split="orders-1"} 8000+500x30`,
    ],
    at: '30m',
    fires: [`{${labels}}`],
  },
  {
    alert: 'BrookConsumerLagGrowing',
    what: 'a large backlog that is shrinking',
    series: [
      `brook_source_pending_records{${labels}, operator_uid="src", operator_name="orders", subtask="0", split="orders-0"} 90000-1000x30`,
    ],
    at: '30m',
    fires: [],
  },
  {
    alert: 'BrookTaskBackpressured',
    what: 'a task waiting for room 80% of the time',
    series: [
      `brook_task_backpressured_seconds_total{${labels}, task_id="src", task_name="Source: orders", subtask="0"} 0+48x20`,
    ],
    at: '20m',
    fires: [`{${labels}, task_name="Source: orders"}`],
  },
  {
    alert: 'BrookSinkCommitsFailing',
    what: 'a failed commit',
    series: [
      `brook_sink_commit_failures_total{${labels}, operator_uid="out", operator_name="to kafka", subtask="0"} 0x5 1x10`,
    ],
    at: '10m',
    fires: [`{${labels}, operator_name="to kafka"}`],
  },
  {
    alert: 'BrookDeploymentFailed',
    what: 'a FAILED resource seen by the leader (not double-counted by a standby)',
    series: [
      'brook_operator_resources{pod="op-a", lifecycle_state="FAILED"} 1x10',
      'brook_operator_resources{pod="op-b", lifecycle_state="FAILED"} 1x10',
      'brook_operator_leader{pod="op-a"} 1x10',
      'brook_operator_leader{pod="op-b"} 0x10',
    ],
    at: '10m',
    fires: ['{}'],
  },
  {
    alert: 'BrookOperatorNoLeader',
    what: 'two replicas, neither leading',
    series: ['brook_operator_leader{pod="op-a"} 0x10', 'brook_operator_leader{pod="op-b"} 0x10'],
    at: '10m',
    fires: ['{}'],
  },
  {
    alert: 'BrookOperatorNoLeader',
    what: 'one replica leading',
    series: ['brook_operator_leader{pod="op-a"} 1x10', 'brook_operator_leader{pod="op-b"} 0x10'],
    at: '10m',
    fires: [],
  },
];

test('every alert fires on the series that mean trouble and stays quiet on healthy ones', async () => {
  const rules = alerts();
  const covered = new Set(alertCases.filter((c) => c.fires.length > 0).map((c) => c.alert));
  assert.deepEqual(
    [...rules.keys()].filter((name) => !covered.has(name)),
    ['BrookOperatorReconcileErrors'].filter((name) => !covered.has(name)),
    'every alert but the plain error-rate one has a firing case',
  );
  // One script per case: promqltest's `eval` checks the exact set of series returned
  // (an empty expectation means no series at all: the alert is quiet).
  for (const c of alertCases) {
    const rule = rules.get(c.alert);
    assert.ok(rule, `the chart has no alert ${c.alert}`);
    // `* 0`: what matters is which series the alert returns, not their values.
    const expected = c.fires.map((l) => `  ${l} 0`).join('\n');
    const series = c.series.map((line) => `  ${line}`).join('\n');
    const script = `load 1m\n${series}\n\neval instant at ${c.at} (${rule.expr}) * 0\n${expected}\n`;
    const result = await runPromqlScript(script);
    assert.ok(result.ok, `${c.alert}, ${c.what}:\n${script}\n${result.output}`);
  }
});

test('every Grafana dashboard query is valid PromQL', async () => {
  // Grafana's variables as Prometheus would see them once Grafana substituted them.
  const substitute = (expr: string) =>
    expr.replaceAll('$__rate_interval', '2m').replaceAll('$namespace', '.*').replaceAll('$job_name', '.*');
  const rules = dashboardRows.flatMap((row, r) =>
    row.panels.flatMap((panel, p) =>
      panel.queries.map((q, i) => ({ record: `brook:dashboard:r${r}_p${p}_q${i}`, expr: substitute(q.expr) })),
    ),
  );
  const result = await checkRuleFiles([stringify({ groups: [{ name: 'dashboard', rules }] })]);
  assert.ok(result.ok, result.output);
});

test('the dashboard ConfigMap carries brook.json unchanged, labelled for the Grafana sidecar', () => {
  const configMap = render(['grafanaDashboard.enabled=true', 'grafanaDashboard.namespace=grafana']).find(
    (m) => m.kind === 'ConfigMap' && m.metadata.name === 'brook-dashboard',
  );
  assert.ok(configMap);
  assert.equal(configMap.metadata.namespace, 'grafana');
  assert.equal(configMap.metadata.labels?.grafana_dashboard, '1');
  assert.deepEqual(JSON.parse(configMap.data!['brook.json']!), JSON.parse(readFileSync(dashboardFile, 'utf8')));
});

test('the PodMonitor scrapes the metrics port of the pods the operator creates, in the watched namespaces', () => {
  const all = only(render(['metrics.podMonitor.enabled=true']), 'PodMonitor').spec!;
  assert.deepEqual(all.namespaceSelector, { any: true });
  assert.deepEqual(all.selector, {
    matchLabels: { 'app.kubernetes.io/name': 'brook', 'app.kubernetes.io/managed-by': 'brook-operator' },
  });
  assert.equal((all.podMetricsEndpoints as { port: string }[])[0]!.port, 'metrics');
  const watched = only(
    render(['metrics.podMonitor.enabled=true', 'watchNamespaces={team-a,team-b}']),
    'PodMonitor',
  ).spec!;
  assert.deepEqual(watched.namespaceSelector, { matchNames: ['team-a', 'team-b'] });
});
