// /metrics of real `brook` processes: `brook run` with metrics.port set, and a
// JobManager with two TaskManagers. Scraped over HTTP and parsed as Prometheus
// would; counts are compared with what the job must have done (its input is
// fixed), checkpoint counts with the `_metadata` files in storage, and task
// times with the wall clock between two scrapes.
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BrookProcess } from '../testing/brook-process.ts';
import { ProcessCluster } from '../testing/process-cluster.ts';
import { parsePrometheusText, scrape, type Scrape } from '../testing/prometheus-text.ts';

const JOB = new URL('./fixtures/metered-job.ts', import.meta.url).pathname;
const RECORDS = 2000;
const RATE = 1000;
const JOB_ARGS = [String(RECORDS), String(RATE)];
/** Watermark and checkpoint settings, the same under `brook run` and in the cluster. */
const jobSettings = (checkpointDir: string) => [
  'job.autoWatermarkInterval=50',
  'checkpoints.interval=200',
  'checkpoints.retained=1000',
  `checkpoints.dir=file://${checkpointDir}`,
];

const scrapeAll = async (urls: string[]): Promise<Scrape> => {
  const texts = await Promise.all(
    urls.map(async (url) => {
      const response = await fetch(url);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      return response.text();
    }),
  );
  return parsePrometheusText(texts.join('\n'));
};

/** Scrapes until `condition` holds (bounded: 30 s); returns the scrape that satisfied it and when it started. */
async function scrapeUntil(
  urls: string[],
  condition: (s: Scrape) => boolean,
  what: string,
): Promise<Scrape & { startedAt: number }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const startedAt = performance.now();
    const s = await scrapeAll(urls);
    if (condition(s)) return { ...s, startedAt };
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const uid = (operator_uid: string) => ({ operator_uid });
const recordsIn = (s: Scrape, id: string) => s.sum('brook_operator_records_in_total', uid(id));
const recordsOut = (s: Scrape, id: string) => s.sum('brook_operator_records_out_total', uid(id));

/** Watermarks and task time, from two scrapes while ticks flow. */
async function checkWhileFlowing(urls: string[]): Promise<void> {
  const first = await scrapeUntil(urls, (s) => recordsOut(s, 'ticks') >= 100, 'ticks flow');
  const before1 = first.startedAt;
  const after1 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 400));
  const before2 = performance.now();
  const second = await scrapeAll(urls);
  const after2 = performance.now();
  assert.ok(recordsOut(second, 'ticks') < RECORDS, 'still flowing at the second scrape');
  const watermark = (s: Scrape, name: string, id: string) => Math.min(...s.find(name, uid(id)).map((x) => x.value));
  for (const [name, id] of [
    ['brook_operator_output_watermark_milliseconds', 'ticks'],
    ['brook_operator_input_watermark_milliseconds', 'sums'],
  ] as const) {
    assert.ok(watermark(second, name, id) > watermark(first, name, id), `${name} of ${id} advances`);
  }
  const total = (s: Scrape, labels: Record<string, string>) =>
    s.value('brook_task_busy_seconds_total', labels) +
    s.value('brook_task_idle_seconds_total', labels) +
    s.value('brook_task_backpressured_seconds_total', labels);
  const tasks = second.find('brook_task_busy_seconds_total');
  assert.equal(tasks.length, 4, 'two tasks (source chain, keyed chain) at parallelism 2');
  for (const { labels } of tasks) {
    const grew = total(second, labels) - total(first, labels);
    // Each reading is taken inside its scrape, so they are [before2 - after1, after2 - before1] apart.
    const [least, most] = [(before2 - after1) / 1000, (after2 - before1) / 1000];
    assert.ok(
      grew >= least - 0.005 && grew <= most + 0.005,
      `${labels.task_name} ${labels.subtask}: busy + idle + backpressured grew ${grew} s in ${least} to ${most} s`,
    );
  }
}

/** Exact counts once the source has emitted everything and the pipeline drained. */
async function checkFinalCounts(urls: string[], jobName: string): Promise<Scrape> {
  const s = await scrapeUntil(
    urls,
    (x) =>
      recordsOut(x, 'ticks') === RECORDS &&
      recordsIn(x, 'sink') === RECORDS / 2 &&
      x.sum('brook_task_input_queue_length') === 0,
    'every tick reached the sink',
  );
  assert.equal(recordsIn(s, 'ticks'), RECORDS);
  assert.equal(recordsIn(s, 'counted'), RECORDS);
  assert.equal(recordsOut(s, 'counted'), RECORDS);
  assert.equal(recordsIn(s, 'even'), RECORDS);
  assert.equal(recordsOut(s, 'even'), RECORDS / 2);
  assert.equal(recordsIn(s, 'sums'), RECORDS / 2);
  assert.equal(recordsOut(s, 'sums'), RECORDS / 2, 'a rolling reduce emits per record');
  const seen = s.find('brook_user_ticks_seen_total');
  assert.deepEqual(
    seen.map((x) => x.labels).sort((a, b) => Number(a.subtask) - Number(b.subtask)),
    [0, 1].map((subtask) => ({
      job_name: jobName,
      operator_uid: 'counted',
      operator_name: 'Process',
      subtask: String(subtask),
    })),
  );
  assert.equal(
    seen.reduce((n, x) => n + x.value, 0),
    RECORDS,
  );
  assert.equal(s.sum('brook_source_pending_records', uid('ticks')), 0);
  return s;
}

const completedCheckpoints = (dir: string, jobId: string) => {
  const jobDir = join(dir, jobId);
  return existsSync(jobDir) ? readdirSync(jobDir).filter((n) => existsSync(join(jobDir, n, '_metadata'))).length : 0;
};

/** The completed count equals the `_metadata` files written, read while no checkpoint completes in between. */
async function checkCheckpoints(url: string, dir: string, labels: Record<string, string>): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const before = completedCheckpoints(dir, labels.job_id!);
    const count = (await scrape(url)).value('brook_job_checkpoints_completed_total', labels);
    if (before === completedCheckpoints(dir, labels.job_id!) && before >= 2) {
      assert.equal(count, before);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail('no quiet moment between checkpoints to compare');
}

function checkProcessMetrics(s: Scrape): void {
  assert.equal(s.types.get('brook_process_cpu_seconds_total'), 'counter');
  assert.ok(s.value('brook_nodejs_heap_size_used_bytes') > 0);
  assert.equal(s.types.get('brook_nodejs_eventloop_lag_seconds'), 'gauge');
  assert.equal(s.types.get('brook_nodejs_gc_duration_seconds'), 'histogram');
  const utilisation = s.value('brook_nodejs_eventloop_utilization_ratio');
  assert.ok(utilisation >= 0 && utilisation <= 1);
}

describe('/metrics of brook processes', () => {
  let dir = '';
  const processes: BrookProcess[] = [];
  const cluster = new ProcessCluster();
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'brook-metrics-'));
  });
  after(async () => {
    await Promise.all([...processes.map((p) => p.kill('SIGKILL')), cluster.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('brook run with metrics.port: operator counts match the input, task time the wall clock, checkpoints the files', async () => {
    const run = new BrookProcess('brook run', [
      'run',
      JOB,
      '--parallelism',
      '2',
      ...['metrics.port=0', ...jobSettings(`${dir}/run`)].flatMap((setting) => ['--set', setting]),
      '--',
      ...JOB_ARGS,
    ]);
    processes.push(run);
    const url = (await run.waitFor(/metrics at (http:[^\s"]+)/))[1]!;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    assert.equal((await fetch(url.replace('/metrics', '/other'))).status, 404);
    await checkWhileFlowing([url]);
    const s = await checkFinalCounts([url], 'metered-job');
    const [status] = s.find('brook_job_status', { state: 'RUNNING' });
    assert.equal(status?.value, 1);
    const labels = { job_name: 'metered-job', job_id: status.labels.job_id! };
    assert.match(labels.job_id, /^[0-9a-f]{32}$/);
    assert.equal(s.value('brook_job_restarts_total', labels), 0);
    assert.ok(s.value('brook_job_uptime_seconds', labels) > 0);
    await checkCheckpoints(url, `${dir}/run`, labels);
    const state = await scrape(url);
    assert.ok(state.value('brook_operator_state_size_bytes', { ...labels, operator_uid: 'sums' }) > 0);
    checkProcessMetrics(s);
    await run.kill('SIGKILL');
  });

  it('a JobManager and two TaskManagers: operators in the TaskManagers, the job in the JobManager', async () => {
    await cluster.startJobManager({
      flags: ['--job', JOB],
      settings: ['job.parallelism=2', 'cluster.heartbeatInterval=200', ...jobSettings(`${dir}/cluster`)],
      jobArgs: JOB_ARGS,
    });
    const { jobManager, restUrl } = cluster;
    const jmMetrics = (await jobManager.waitFor(/metrics at (http:[^\s"]+)/))[1]!;
    const taskManagers = [1, 2].map(() => cluster.startTaskManager());
    const tmMetrics = await Promise.all(
      taskManagers.map(async (tm) => (await tm.waitFor(/metrics at (http:[^\s"]+)/))[1]!),
    );
    assert.notEqual(tmMetrics[0], tmMetrics[1]);

    await checkWhileFlowing(tmMetrics);
    const perTaskManager = await Promise.all(tmMetrics.map((url) => scrape(url)));
    const subtasks = perTaskManager.map(
      (s) => new Set(s.find('brook_operator_records_in_total').map((x) => x.labels.subtask)),
    );
    // One slot per TaskManager: every operator instance in it is the same subtask, a different one in each.
    assert.deepEqual(subtasks.map((set) => [...set]).sort(), [['0'], ['1']]);
    await checkFinalCounts(tmMetrics, 'metered-job');

    const jm = await scrape(jmMetrics);
    assert.deepEqual(jm.find('brook_operator_records_in_total'), [], 'no tasks run in the JobManager');
    const jobId = (await (await fetch(`${restUrl}/jobs`)).json()) as { jobs: { id: string }[] };
    const labels = { job_name: 'metered-job', job_id: jobId.jobs[0]!.id };
    assert.equal(jm.value('brook_job_status', { ...labels, state: 'RUNNING' }), 1);
    await checkCheckpoints(jmMetrics, `${dir}/cluster`, labels);
    assert.ok(
      (await scrape(jmMetrics)).value('brook_operator_state_size_bytes', { ...labels, operator_uid: 'sums' }) > 0,
    );
    checkProcessMetrics(jm);

    // Cancelled, the job leaves the TaskManagers' metrics (they outlive it), and the processes exit cleanly.
    const cancel = await fetch(`${restUrl}/jobs/${labels.job_id}?mode=cancel`, { method: 'PATCH' });
    assert.equal(cancel.status, 202);
    assert.equal((await jobManager.exited).code, 130);
    await scrapeUntil(
      tmMetrics,
      (s) => s.find('brook_operator_records_in_total').length === 0,
      'the job left the TaskManagers',
    );
    for (const tm of taskManagers) assert.equal((await tm.kill('SIGTERM')).code, 0);
  });
});
