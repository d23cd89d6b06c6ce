// The Grafana dashboard shipped in the Helm chart (helm/brook/dashboards/brook.json):
// jobs, checkpoints, throughput and backpressure, sources and sinks, processes,
// and the operator, from the metrics of docs/metrics.md. Written as data here so
// that every query is one line to review; `npx tsx operator/monitoring/generate.ts`
// writes the JSON, and a test fails when the two drift.

/** One query of a panel: PromQL and the legend Grafana shows for each series. */
export interface PanelQuery {
  expr: string;
  legend: string;
}

export interface PanelSpec {
  title: string;
  description: string;
  kind: 'timeseries' | 'stat' | 'table';
  unit: string;
  queries: PanelQuery[];
}

export interface RowSpec {
  title: string;
  panels: PanelSpec[];
}

// Every job query narrows to the chosen namespace and job names; process
// metrics carry no job label, so they narrow to the namespace.
const job = 'namespace=~"$namespace", job_name=~"$job_name"';
const pods = 'namespace=~"$namespace"';

export const dashboardRows: RowSpec[] = [
  {
    title: 'Jobs',
    panels: [
      {
        title: 'Job state',
        description: 'The Flink job state each JobManager reports (brook_job_status).',
        kind: 'stat',
        unit: 'none',
        queries: [
          {
            expr: `max by (namespace, job_name, state) (brook_job_status{${job}}) == 1`,
            legend: '{{job_name}}: {{state}}',
          },
        ],
      },
      {
        title: 'Uptime',
        description: 'Time since the job last entered RUNNING; 0 when it is not running.',
        kind: 'stat',
        unit: 's',
        queries: [{ expr: `max by (namespace, job_name) (brook_job_uptime_seconds{${job}})`, legend: '{{job_name}}' }],
      },
      {
        title: 'Restarts (last hour)',
        description: 'Restarts after failures, as the restart strategy ran them.',
        kind: 'stat',
        unit: 'none',
        queries: [
          {
            expr: `sum by (namespace, job_name) (increase(brook_job_restarts_total{${job}}[1h]))`,
            legend: '{{job_name}}',
          },
        ],
      },
      {
        title: 'Records in per second, by operator',
        description: 'Records each operator received, all subtasks together; for a source, the records it read.',
        kind: 'timeseries',
        unit: 'rps',
        queries: [
          {
            expr: `sum by (job_name, operator_name) (rate(brook_operator_records_in_total{${job}}[$__rate_interval]))`,
            legend: '{{job_name}} {{operator_name}}',
          },
        ],
      },
      {
        title: 'Records out per second, by operator',
        description: 'Records each operator emitted, all subtasks together.',
        kind: 'timeseries',
        unit: 'rps',
        queries: [
          {
            expr: `sum by (job_name, operator_name) (rate(brook_operator_records_out_total{${job}}[$__rate_interval]))`,
            legend: '{{job_name}} {{operator_name}}',
          },
        ],
      },
    ],
  },
  {
    title: 'Checkpoints',
    panels: [
      {
        title: 'Checkpoints completed and failed',
        description: 'Checkpoints and savepoints per minute.',
        kind: 'timeseries',
        unit: 'none',
        queries: [
          {
            expr: `sum by (job_name) (increase(brook_job_checkpoints_completed_total{${job}}[1m]))`,
            legend: '{{job_name}} completed',
          },
          {
            expr: `sum by (job_name) (increase(brook_job_checkpoints_failed_total{${job}}[1m]))`,
            legend: '{{job_name}} failed',
          },
        ],
      },
      {
        title: 'Last checkpoint duration',
        description: 'Trigger to completion of the newest completed checkpoint.',
        kind: 'timeseries',
        unit: 's',
        queries: [
          { expr: `max by (job_name) (brook_job_last_checkpoint_duration_seconds{${job}})`, legend: '{{job_name}}' },
        ],
      },
      {
        title: 'Time since the last completed checkpoint',
        description: 'Grows without bound when checkpoints stop completing.',
        kind: 'timeseries',
        unit: 's',
        queries: [
          { expr: `max by (job_name) (brook_job_time_since_last_checkpoint_seconds{${job}})`, legend: '{{job_name}}' },
        ],
      },
      {
        title: 'Barrier alignment, by task',
        description:
          'Time from the first to the last barrier of the newest checkpoint at each task (largest subtask): long alignments mean backpressure delays checkpoints.',
        kind: 'timeseries',
        unit: 's',
        queries: [
          {
            expr: `max by (job_name, task_name) (brook_task_checkpoint_alignment_seconds{${job}})`,
            legend: '{{job_name}} {{task_name}}',
          },
        ],
      },
      {
        title: 'State size per operator',
        description: 'Bytes of each operator’s state in the newest completed checkpoint.',
        kind: 'timeseries',
        unit: 'bytes',
        queries: [
          {
            expr: `max by (job_name, operator_name) (brook_operator_state_size_bytes{${job}})`,
            legend: '{{job_name}} {{operator_name}}',
          },
        ],
      },
    ],
  },
  {
    title: 'Throughput and backpressure',
    panels: [
      {
        title: 'Busy, idle and backpressured, by task',
        description:
          'Share of each second a task spent processing, waiting for input, or waiting for room downstream (averaged over subtasks). A backpressured task is held back by a slower task after it.',
        kind: 'timeseries',
        unit: 'percentunit',
        queries: [
          {
            expr: `avg by (job_name, task_name) (rate(brook_task_busy_seconds_total{${job}}[$__rate_interval]))`,
            legend: '{{task_name}} busy',
          },
          {
            expr: `avg by (job_name, task_name) (rate(brook_task_backpressured_seconds_total{${job}}[$__rate_interval]))`,
            legend: '{{task_name}} backpressured',
          },
          {
            expr: `avg by (job_name, task_name) (rate(brook_task_idle_seconds_total{${job}}[$__rate_interval]))`,
            legend: '{{task_name}} idle',
          },
        ],
      },
      {
        title: 'Input queue, by task',
        description: 'Record batches and events waiting in each task’s input channels (largest subtask).',
        kind: 'timeseries',
        unit: 'none',
        queries: [
          { expr: `max by (job_name, task_name) (brook_task_input_queue_length{${job}})`, legend: '{{task_name}}' },
        ],
      },
      {
        title: 'Watermark lag, by operator',
        description: 'Wall-clock time minus the event-time watermark (largest subtask).',
        kind: 'timeseries',
        unit: 'ms',
        queries: [
          {
            expr: `max by (job_name, operator_name) (brook_operator_watermark_lag_milliseconds{${job}})`,
            legend: '{{job_name}} {{operator_name}}',
          },
        ],
      },
      {
        title: 'Late records dropped per second',
        description: 'Records that came after their window’s allowed lateness.',
        kind: 'timeseries',
        unit: 'rps',
        queries: [
          {
            expr: `sum by (job_name, operator_name) (rate(brook_operator_late_records_dropped_total{${job}}[$__rate_interval]))`,
            legend: '{{job_name}} {{operator_name}}',
          },
        ],
      },
    ],
  },
  {
    title: 'Sources and sinks',
    panels: [
      {
        title: 'Consumer lag (pending records)',
        description: 'Records each source has yet to read; for Kafka, per partition (high watermark minus position).',
        kind: 'timeseries',
        unit: 'none',
        queries: [
          {
            expr: `sum by (job_name, operator_name) (brook_source_pending_records{${job}})`,
            legend: '{{job_name}} {{operator_name}}',
          },
        ],
      },
      {
        title: 'Records fetched and fetch requests per second',
        description:
          'What each source read from its external system (Kafka: records in Fetch responses, and the responses).',
        kind: 'timeseries',
        unit: 'rps',
        queries: [
          {
            expr: `sum by (job_name, operator_name) (rate(brook_source_fetched_records_total{${job}}[$__rate_interval]))`,
            legend: '{{job_name}} {{operator_name}} records',
          },
          {
            expr: `sum by (job_name, operator_name) (rate(brook_source_fetch_requests_total{${job}}[$__rate_interval]))`,
            legend: '{{job_name}} {{operator_name}} fetches',
          },
        ],
      },
      {
        title: 'Sink commit duration (p99)',
        description: 'Time two-phase-committing sinks (Kafka, files) take to commit a checkpoint’s output.',
        kind: 'timeseries',
        unit: 's',
        queries: [
          {
            expr: `histogram_quantile(0.99, sum by (job_name, operator_name, le) (rate(brook_sink_commit_duration_seconds_bucket{${job}}[$__rate_interval])))`,
            legend: '{{job_name}} {{operator_name}}',
          },
        ],
      },
      {
        title: 'Sink commit failures',
        description: 'Commits that failed in the last 5 minutes (the job then fails and restarts).',
        kind: 'timeseries',
        unit: 'none',
        queries: [
          {
            expr: `sum by (job_name, operator_name) (increase(brook_sink_commit_failures_total{${job}}[5m]))`,
            legend: '{{job_name}} {{operator_name}}',
          },
        ],
      },
    ],
  },
  {
    title: 'JobManager and TaskManager processes',
    panels: [
      {
        title: 'Heap used',
        description: 'V8 heap in use, per pod.',
        kind: 'timeseries',
        unit: 'bytes',
        queries: [{ expr: `sum by (pod) (brook_nodejs_heap_size_used_bytes{${pods}})`, legend: '{{pod}}' }],
      },
      {
        title: 'Event loop utilisation',
        description: 'Share of time each process’s event loop was busy: near 1, the process is CPU-bound.',
        kind: 'timeseries',
        unit: 'percentunit',
        queries: [{ expr: `max by (pod) (brook_nodejs_eventloop_utilization_ratio{${pods}})`, legend: '{{pod}}' }],
      },
      {
        title: 'Event loop lag (p99)',
        description: 'How late timers ran: a long lag delays heartbeats and barriers.',
        kind: 'timeseries',
        unit: 's',
        queries: [{ expr: `max by (pod) (brook_nodejs_eventloop_lag_p99_seconds{${pods}})`, legend: '{{pod}}' }],
      },
      {
        title: 'CPU',
        description: 'CPU seconds per second, per pod.',
        kind: 'timeseries',
        unit: 'none',
        queries: [
          {
            expr: `sum by (pod) (rate(brook_process_cpu_seconds_total{${pods}}[$__rate_interval]))`,
            legend: '{{pod}}',
          },
        ],
      },
    ],
  },
  {
    title: 'Operator',
    panels: [
      {
        title: 'StreamDeployments by lifecycle state',
        description: 'As the leading operator replica sees them.',
        kind: 'timeseries',
        unit: 'none',
        queries: [
          {
            expr: 'sum by (lifecycle_state) (brook_operator_resources and on (pod) (brook_operator_leader == 1))',
            legend: '{{lifecycle_state}}',
          },
        ],
      },
      {
        title: 'Reconciles per second',
        description: 'By result.',
        kind: 'timeseries',
        unit: 'ops',
        queries: [
          { expr: 'sum by (result) (rate(brook_operator_reconciles_total[$__rate_interval]))', legend: '{{result}}' },
        ],
      },
      {
        title: 'Reconcile duration (p50, p99)',
        description: 'Observe, decide, write status and act, for one resource.',
        kind: 'timeseries',
        unit: 's',
        queries: [
          {
            expr: 'histogram_quantile(0.5, sum by (le) (rate(brook_operator_reconcile_duration_seconds_bucket[$__rate_interval])))',
            legend: 'p50',
          },
          {
            expr: 'histogram_quantile(0.99, sum by (le) (rate(brook_operator_reconcile_duration_seconds_bucket[$__rate_interval])))',
            legend: 'p99',
          },
        ],
      },
      {
        title: 'Operator errors and work queue',
        description: 'Failed reconciles and API calls per minute, by source; resources waiting for a worker.',
        kind: 'timeseries',
        unit: 'none',
        queries: [
          { expr: 'sum by (source) (increase(brook_operator_errors_total[1m]))', legend: 'errors: {{source}}' },
          { expr: 'max(brook_operator_workqueue_depth)', legend: 'queue depth' },
        ],
      },
    ],
  },
];

function templateVariable(name: string, label: string, query: string): Record<string, unknown> {
  return {
    name,
    label,
    type: 'query',
    datasource: { type: 'prometheus', uid: '${datasource}' },
    query: { query, refId: `${name}-variable` },
    definition: query,
    refresh: 2,
    includeAll: true,
    multi: true,
    allValue: '.*',
    current: { selected: true, text: ['All'], value: ['$__all'] },
    sort: 1,
  };
}

function panelJson(panel: PanelSpec, id: number, x: number, y: number, width: number): Record<string, unknown> {
  const height = panel.kind === 'stat' ? 5 : 8;
  return {
    id,
    type: panel.kind,
    title: panel.title,
    description: panel.description,
    datasource: { type: 'prometheus', uid: '${datasource}' },
    gridPos: { h: height, w: width, x, y },
    targets: panel.queries.map((q, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: { type: 'prometheus', uid: '${datasource}' },
      expr: q.expr,
      legendFormat: q.legend,
      range: true,
    })),
    fieldConfig: { defaults: { unit: panel.unit }, overrides: [] },
    options:
      panel.kind === 'stat'
        ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, textMode: 'value_and_name' }
        : { legend: { displayMode: 'table', placement: 'bottom', calcs: ['lastNotNull', 'max'] } },
  };
}

/** The dashboard as Grafana's JSON model (schemaVersion 39; Grafana 10 and later import it). */
export function grafanaDashboard(): Record<string, unknown> {
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const row of dashboardRows) {
    panels.push({
      id: id++,
      type: 'row',
      title: row.title,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
      panels: [],
    });
    y += 1;
    // Stat panels share a line; graphs go two to a line.
    const stats = row.panels.filter((p) => p.kind === 'stat');
    const graphs = row.panels.filter((p) => p.kind !== 'stat');
    stats.forEach((panel, i) => panels.push(panelJson(panel, id++, i * (24 / stats.length), y, 24 / stats.length)));
    if (stats.length > 0) y += 5;
    graphs.forEach((panel, i) => {
      panels.push(panelJson(panel, id++, (i % 2) * 12, y + Math.floor(i / 2) * 8, 12));
    });
    y += Math.ceil(graphs.length / 2) * 8;
  }
  return {
    uid: 'brook-overview',
    title: 'Brook: jobs and operator',
    description: 'Streaming jobs run by Brook (JobManager and TaskManager metrics) and the Brook operator.',
    tags: ['brook', 'streaming'],
    editable: true,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-1h', to: 'now' },
    timezone: 'browser',
    graphTooltip: 1,
    annotations: { list: [] },
    links: [],
    templating: {
      list: [
        {
          name: 'datasource',
          label: 'Data source',
          type: 'datasource',
          query: 'prometheus',
          current: {},
          hide: 0,
        },
        templateVariable('namespace', 'Namespace', 'label_values(brook_job_status, namespace)'),
        templateVariable('job_name', 'Job', 'label_values(brook_job_status{namespace=~"$namespace"}, job_name)'),
      ],
    },
    panels,
  };
}
