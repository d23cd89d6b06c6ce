// Metrics of jobs on the mini-cluster, scraped from the registry's text
// exposition and compared with figures computed outside the runtime: what each
// function saw, an independent model of late records, the wall clock, and the
// checkpoint files in storage.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { KeyedProcessFunction, ProcessFunction } from '../api/functions.ts';
import { JobStatusTracker } from '../cluster/job-status-tracker.ts';
import { describeJobGraph, statusHooks } from '../cluster/mini-cluster-status.ts';
import { CollectedRecords, collectSink } from '../connectors/basic-sinks.ts';
import { collectionSource } from '../connectors/collection-source.ts';
import { StreamEnvironment, TumblingEventTimeWindows, forBoundedOutOfOrderness } from '../index.ts';
import type { CounterMetric } from './user-metrics.ts';
import { fixedWindowModel, jitteredEvents, punctuatedWatermarks, tumblingWindows } from '../testing/window-model.ts';
import { parsePrometheusText, type Scrape } from '../testing/prometheus-text.ts';
import { TransactionalLedger } from '../testing/transactional-ledger.ts';
import { eventually, waitUntil } from '../testing/wait-until.ts';
import { MetricsRegistry } from './registry.ts';
import { CommitStats } from './task-metrics.ts';

const scrapeOf = async (registry: MetricsRegistry): Promise<Scrape> => parsePrometheusText(await registry.metrics());
const op = (uid: string, subtask?: number) => ({ operator_uid: uid, ...(subtask === undefined ? {} : { subtask }) });

test('records in and out of every operator instance match what its function saw, counted outside the runtime', async () => {
  const registry = new MetricsRegistry();
  const env = new StreamEnvironment().setParallelism(2);
  const N = 20_000;
  // Counted by the functions themselves, per subtask, beside the runtime's counters.
  const seenBy = { process: [0, 0], keyed: [0, 0] };
  const tag = (fn: object, subtask: number) => Object.assign(fn, { subtask });
  const everyThird: ProcessFunction<number, number> & { seen?: CounterMetric; subtask?: number } = {
    open(ctx) {
      this.seen = ctx.metrics.counter('numbers_seen', 'numbers the process function saw');
      tag(this, ctx.subtaskIndex);
    },
    processElement(n, _ctx, out) {
      seenBy.process[this.subtask!]!++;
      this.seen!.inc();
      if (n % 3 === 0) out.collect(n);
    },
  };
  const twice: KeyedProcessFunction<number, number, number> & { subtask?: number } = {
    open(ctx) {
      tag(this, ctx.subtaskIndex);
    },
    processElement(n, _ctx, out) {
      seenBy.keyed[this.subtask!]!++;
      out.collect(n);
      out.collect(-n);
    },
  };
  const collected = new CollectedRecords<number>();
  env
    .fromGenerator({ count: N, seed: 3, generate: (i) => i })
    .uid('numbers')
    .map((n) => n + 1)
    .uid('plus-one')
    .process(everyThird)
    .uid('every-third')
    .keyBy((n) => n % 7)
    .process(twice)
    .uid('twice')
    .sinkTo(collectSink(collected))
    .uid('collect');
  await env.execute('records', { metrics: registry });

  const scrape = await scrapeOf(registry);
  const inOf = (uid: string, subtask?: number) => scrape.sum('brook_operator_records_in_total', op(uid, subtask));
  const outOf = (uid: string, subtask?: number) => scrape.sum('brook_operator_records_out_total', op(uid, subtask));
  const multiplesOfThree = Array.from({ length: N }, (_, i) => i + 1).filter((n) => n % 3 === 0).length;
  for (const subtask of [0, 1]) {
    // Generator split s of 2 makes records s, s + 2, s + 4, ...: N / 2 each, through the forward chain.
    assert.equal(inOf('numbers', subtask), N / 2, 'a source counts the records its reader emitted');
    assert.equal(outOf('numbers', subtask), N / 2);
    assert.equal(inOf('plus-one', subtask), N / 2);
    assert.equal(outOf('plus-one', subtask), N / 2);
    assert.equal(inOf('every-third', subtask), seenBy.process[subtask]);
    assert.equal(inOf('twice', subtask), seenBy.keyed[subtask]);
    assert.equal(outOf('twice', subtask), 2 * seenBy.keyed[subtask]!);
    assert.equal(
      scrape.value('brook_user_numbers_seen_total', {
        job_name: 'records',
        operator_uid: 'every-third',
        operator_name: 'Process',
        subtask,
      }),
      seenBy.process[subtask],
    );
  }
  assert.equal(outOf('every-third'), multiplesOfThree);
  assert.equal(inOf('twice'), multiplesOfThree);
  assert.equal(inOf('collect'), collected.records.length);
  assert.equal(collected.records.length, 2 * multiplesOfThree);
  assert.equal(outOf('collect'), 0);
  assert.equal(scrape.types.get('brook_operator_records_in_total'), 'counter');
  for (const subtask of [0, 1]) {
    assert.equal(
      scrape.value('brook_source_pending_records', { ...op('numbers', subtask), split: `datagen-${subtask}` }),
      0,
    );
  }
});

test('late records dropped by a window are the records an independent model of the watermark finds late', async () => {
  const input = jitteredEvents({ count: 3000, keys: 4, step: 5, jitter: 500, seed: 11 });
  const want = fixedWindowModel(input, { bound: 80, lateness: 100, windowsOf: tumblingWindows(300) });
  assert.ok(want.late.length > 10, 'the input has late records');
  const registry = new MetricsRegistry();
  const env = new StreamEnvironment().setParallelism(3);
  env
    .fromSource(collectionSource(input), punctuatedWatermarks(80))
    .setParallelism(1)
    .uid('events')
    .keyBy((e) => e.key)
    .window(TumblingEventTimeWindows.of(300))
    .allowedLateness(100)
    .count()
    .uid('counts')
    .sinkTo({ createWriter: () => ({ write() {} }) });
  await env.execute('late', { metrics: registry });
  const scrape = await scrapeOf(registry);
  assert.equal(scrape.types.get('brook_operator_late_records_dropped_total'), 'counter');
  assert.equal(scrape.find('brook_operator_late_records_dropped_total', op('counts')).length, 3);
  assert.equal(scrape.sum('brook_operator_late_records_dropped_total', op('counts')), want.late.length);
  assert.equal(scrape.sum('brook_operator_records_in_total', op('counts')), input.length);
  assert.deepEqual(scrape.find('brook_operator_late_records_dropped_total', op('events')), []);
});

/** Two scrapes while the job runs, with the wall-clock bounds of each (a value is computed between them). */
async function twoScrapes(registry: MetricsRegistry, gapMs: number) {
  const before1 = performance.now();
  const first = await scrapeOf(registry);
  const after1 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, gapMs));
  const before2 = performance.now();
  const second = await scrapeOf(registry);
  const after2 = performance.now();
  // The time between the two readings lies in [before2 - after1, after2 - before1].
  return { first, second, minSeconds: (before2 - after1) / 1000, maxSeconds: (after2 - before1) / 1000 };
}

const taskTime = (scrape: Scrape, taskId: string) => {
  const labels = { task_id: taskId };
  const busy = scrape.value('brook_task_busy_seconds_total', labels);
  const idle = scrape.value('brook_task_idle_seconds_total', labels);
  const backpressured = scrape.value('brook_task_backpressured_seconds_total', labels);
  return { busy, idle, backpressured, total: busy + idle + backpressured };
};

test('busy, idle and backpressured time add up to the wall-clock time; a slow sink backpressures its producer', async () => {
  const registry = new MetricsRegistry();
  const env = new StreamEnvironment().setChannelCapacity(1);
  const abort = new AbortController();
  let written = 0;
  env
    .fromGenerator({ generate: (i) => i })
    .uid('fast')
    .rebalance()
    .sinkTo({
      createWriter: () => {
        // One write at a time, a timer each: a batch of 512 records takes over half a second.
        let chain = Promise.resolve();
        const one = () => new Promise<void>((resolve) => setTimeout(() => (written++, resolve()), 1));
        return { write: () => (chain = chain.then(one)) };
      },
    })
    .uid('slow');
  const run = env.execute('pressure', { metrics: registry, signal: abort.signal }).catch(() => {});
  try {
    await waitUntil(() => written > 20, 'the sink wrote', 10_000);
    const { first, second, minSeconds, maxSeconds } = await twoScrapes(registry, 600);
    for (const taskId of ['fast', 'slow']) {
      const a = taskTime(first, taskId);
      const b = taskTime(second, taskId);
      const elapsed = b.total - a.total;
      assert.ok(
        elapsed >= minSeconds - 0.005 && elapsed <= maxSeconds + 0.005,
        `${taskId}: busy + idle + backpressured grew by ${elapsed} s, wall clock between ${minSeconds} and ${maxSeconds} s`,
      );
    }
    const source = { a: taskTime(first, 'fast'), b: taskTime(second, 'fast') };
    const share = (source.b.backpressured - source.a.backpressured) / (source.b.total - source.a.total);
    assert.ok(share > 0.5, `the source was backpressured ${(share * 100).toFixed(0)}% of the time`);
    const sink = { a: taskTime(first, 'slow'), b: taskTime(second, 'slow') };
    const busy = (sink.b.busy - sink.a.busy) / (sink.b.total - sink.a.total);
    assert.ok(busy > 0.5, `the sink, waiting for its writes, was busy ${(busy * 100).toFixed(0)}% of the time`);
    assert.ok(second.value('brook_task_input_queue_length', { task_id: 'slow' }) <= 1, 'capacity bounds the queue');
  } finally {
    abort.abort();
    await run;
  }
});

test('watermarks advance while records flow; lag is the wall clock minus the watermark; a starved task is idle', async () => {
  const registry = new MetricsRegistry();
  const env = new StreamEnvironment().setAutoWatermarkInterval(20);
  const abort = new AbortController();
  const start = Date.now();
  let seen = 0;
  env
    .fromGenerator(
      { recordsPerSecond: 500, generate: (i) => ({ key: i % 3, at: start + i * 10 }) },
      forBoundedOutOfOrderness<{ key: number; at: number }>(0).withTimestampAssigner((e) => e.at),
    )
    .uid('ticks')
    .keyBy((e) => e.key)
    .process<number>({ processElement: (e, _ctx, out) => out.collect(e.at) })
    .uid('keyed')
    .sinkTo({ createWriter: () => ({ write: () => void seen++ }) })
    .uid('sink');
  const run = env.execute('watermarks', { metrics: registry, signal: abort.signal }).catch(() => {});
  try {
    await waitUntil(() => seen > 20, 'records reached the sink', 10_000);
    const before = Date.now();
    const { first, second } = await twoScrapes(registry, 500);
    const after = Date.now();
    const out = (s: Scrape) => s.value('brook_operator_output_watermark_milliseconds', op('ticks'));
    const into = (s: Scrape) => s.value('brook_operator_input_watermark_milliseconds', op('keyed'));
    assert.ok(out(second) > out(first), `source watermark ${out(first)} -> ${out(second)}`);
    assert.ok(into(second) > into(first), `keyed input watermark ${into(first)} -> ${into(second)}`);
    assert.ok(into(second) <= out(second), 'downstream never ahead of its source');
    assert.ok(out(second) >= start && out(second) <= start + seen * 10 + 1000, 'event time of the generated records');
    // Event time runs 5x faster than the wall clock here, so lag is wall clock minus watermark, whatever its sign.
    const lag = second.value('brook_operator_watermark_lag_milliseconds', op('keyed'));
    assert.ok(lag + into(second) >= before && lag + into(second) <= after, `lag ${lag} + watermark is the scrape time`);
    assert.deepEqual(
      second.find('brook_operator_input_watermark_milliseconds', op('ticks')),
      [],
      'no input watermark on a source',
    );
    const a = taskTime(first, 'keyed');
    const b = taskTime(second, 'keyed');
    const idle = (b.idle - a.idle) / (b.total - a.total);
    assert.ok(idle > 0.5, `the keyed task, fed 500 records/s, was idle ${(idle * 100).toFixed(0)}% of the time`);
  } finally {
    abort.abort();
    await run;
  }
});

/** Bytes per operator in a checkpoint's `_metadata`, read from storage. */
function operatorBytes(metadataFile: string): Map<string, number> {
  const metadata = JSON.parse(readFileSync(metadataFile, 'utf8')) as {
    operators: { uid: string; keyed: { keyGroups: { length: number }[] }[]; operatorState: { length: number }[] }[];
  };
  return new Map(
    metadata.operators.map((o) => [
      o.uid,
      o.keyed.reduce((n, h) => n + h.keyGroups.reduce((m, g) => m + g.length, 0), 0) +
        o.operatorState.reduce((n, h) => n + h.length, 0),
    ]),
  );
}

test('job metrics: status, restarts, and checkpoint counts and sizes as written to storage', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'brook-job-metrics-'));
  try {
    const registry = new MetricsRegistry();
    const env = new StreamEnvironment()
      .setParallelism(2)
      .enableCheckpointing(60, { retained: 1000 })
      .setCheckpointStorage(`file://${dir}`)
      .setRestartStrategy({ kind: 'fixed-delay', attempts: 3, delayMs: 50 });
    let failed = false;
    env
      .fromGenerator({ count: 3000, recordsPerSecond: 3000, seed: 5, generate: (i) => i })
      .uid('numbers')
      .map((n) => {
        if (n === 1500 && !failed) {
          failed = true;
          throw new Error('one failure, then a restart');
        }
        return n;
      })
      .uid('maybe-fail')
      .keyBy((n) => n % 10)
      .reduce((a, b) => a + b)
      .uid('sums')
      .sinkTo({ createWriter: () => ({ write() {} }) })
      .uid('sink');
    const graph = env.getJobGraph('checkpointed');
    const tracker = new JobStatusTracker({ id: 'ab'.repeat(16), name: 'checkpointed', ...describeJobGraph(graph) });
    const job = registry.registerJob('checkpointed', tracker.id, tracker);
    const running = env.execute('checkpointed', {
      jobId: tracker.id,
      metrics: registry,
      checkpointListener: job.checkpointListener,
      ...statusHooks(tracker),
    });
    await waitUntil(() => tracker.state === 'RUNNING', 'the job runs', 5000);
    const whileRunning = await scrapeOf(registry);
    const labels = { job_name: 'checkpointed', job_id: tracker.id };
    assert.equal(whileRunning.value('brook_job_status', { ...labels, state: 'RUNNING' }), 1);
    assert.ok(whileRunning.value('brook_job_uptime_seconds', labels) >= 0);
    await running;
    tracker.ended('finished');

    const scrape = await scrapeOf(registry);
    const states = scrape.find('brook_job_status', labels);
    assert.equal(states.length, 9, 'one series per Flink job state');
    assert.deepEqual(
      states.filter((s) => s.value === 1).map((s) => s.labels.state),
      ['FINISHED'],
    );
    assert.equal(scrape.value('brook_job_uptime_seconds', labels), 0, 'no uptime once finished');
    assert.equal(scrape.value('brook_job_restarts_total', labels), 1);
    const jobDir = join(dir, tracker.id);
    const written = readdirSync(jobDir).filter((name) => existsSync(join(jobDir, name, '_metadata')));
    assert.ok(written.length >= 3, `checkpoints written: ${written.join(', ')}`);
    assert.equal(scrape.value('brook_job_checkpoints_completed_total', labels), written.length);
    // Ids count up from 1 across the restart; one in flight when the job failed never completed.
    const newest = written.sort((a, b) => Number(a.slice(4)) - Number(b.slice(4))).at(-1)!;
    const incomplete = Number(newest.slice(4)) - written.length;
    assert.ok(incomplete <= 1, `checkpoints that did not complete: ${incomplete}`);
    assert.equal(scrape.value('brook_job_checkpoints_failed_total', labels), incomplete);
    assert.equal(scrape.value('brook_job_checkpoints_in_progress', labels), 0);
    assert.equal(scrape.value('brook_job_checkpoints_restored_total', labels), 1, 'the restart restored one');
    const bytes = operatorBytes(join(jobDir, newest, '_metadata'));
    for (const [uid, size] of bytes) {
      assert.equal(scrape.value('brook_operator_state_size_bytes', { ...labels, operator_uid: uid }), size, uid);
    }
    assert.ok(bytes.get('sums')! > 0, 'the keyed reduce has state');
    const total = [...bytes.values()].reduce((a, b) => a + b, 0);
    assert.ok(scrape.value('brook_job_last_checkpoint_size_bytes', labels) >= total);
    assert.ok(scrape.value('brook_job_last_checkpoint_duration_seconds', labels) >= 0);
    const completedAt = scrape.value('brook_job_last_checkpoint_timestamp_seconds', labels);
    assert.ok(Math.abs(completedAt * 1000 - tracker.checkpoints().latest.completed!.endTimestamp!) < 1);
    assert.ok(scrape.value('brook_job_time_since_last_checkpoint_seconds', labels) >= 0);

    job.close();
    assert.deepEqual((await scrapeOf(registry)).find('brook_job_status'), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a two-phase-committing sink reports every commit with its duration', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'brook-commit-metrics-'));
  try {
    const ledger = new TransactionalLedger<number>({ commitDelayMs: 20 });
    const registry = new MetricsRegistry();
    const env = new StreamEnvironment().setParallelism(2).enableCheckpointing(50).setCheckpointStorage(`file://${dir}`);
    env
      .fromGenerator({ count: 2000, recordsPerSecond: 4000, seed: 1, generate: (i) => i })
      .sinkTo(ledger.sink())
      .uid('ledger');
    await env.execute('commits', { metrics: registry });
    assert.equal(ledger.committed.length, 2000);
    const scrape = await scrapeOf(registry);
    assert.equal(scrape.types.get('brook_sink_commit_duration_seconds'), 'histogram');
    const commits = scrape.sum('brook_sink_commit_duration_seconds_count', op('ledger'));
    assert.ok(commits >= 2, `commits: ${commits}`);
    assert.equal(commits, ledger.commitsStarted);
    assert.ok(scrape.sum('brook_sink_commit_duration_seconds_sum', op('ledger')) >= commits * 0.019);
    assert.equal(scrape.sum('brook_sink_commit_duration_seconds_bucket', { ...op('ledger'), le: '0.01' }), 0);
    assert.equal(scrape.sum('brook_sink_commit_failures_total', op('ledger')), 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a failed commit is counted, timed and rethrown', async () => {
  const stats = new CommitStats();
  await stats.time(() => new Promise((resolve) => setTimeout(resolve, 5)));
  const failure = new Error('broker gone');
  await assert.rejects(
    stats.time(async () => {
      throw failure;
    }),
    (error) => error === failure,
  );
  assert.equal(stats.failures, 1);
  assert.equal(stats.durations.count, 2);
  assert.ok(stats.durations.sum >= 0.004);
});

test('barrier alignment time: reported by tasks with inputs after a checkpoint, within the time the job ran; sources have none', async () => {
  const registry = new MetricsRegistry();
  const abort = new AbortController();
  let processed = 0;
  // Two source subtasks feed each keyed subtask: its alignment waits for the second barrier behind queued records.
  const env = new StreamEnvironment().setParallelism(2).enableCheckpointing(50).setChannelCapacity(2);
  env
    .fromGenerator({ generate: (i) => i })
    .uid('numbers')
    .keyBy((n) => n % 7)
    .map((n) => {
      processed++;
      // A slow consumer: records queue up ahead of the barriers.
      const until = performance.now() + 0.02;
      while (performance.now() < until);
      return n;
    })
    .uid('slow-map')
    .sinkTo({ createWriter: () => ({ write() {} }) })
    .uid('sink');
  const startedAt = performance.now();
  const run = env.execute('aligned', { metrics: registry, signal: abort.signal }).catch(() => {});
  try {
    const scrape = await eventually(
      () => scrapeOf(registry),
      (scraped) => scraped.find('brook_task_checkpoint_alignment_seconds').length === 2,
      'both keyed subtasks completed an alignment',
      20_000,
    );
    const ranSeconds = (performance.now() - startedAt) / 1000;
    const aligned = scrape.find('brook_task_checkpoint_alignment_seconds');
    assert.deepEqual(aligned.map((s) => s.labels.task_id).sort(), ['slow-map', 'slow-map']);
    for (const sample of aligned) {
      assert.ok(sample.value >= 0 && sample.value < ranSeconds, `alignment ${sample.value} s in a ${ranSeconds} s run`);
    }
    assert.deepEqual(scrape.find('brook_task_checkpoint_alignment_seconds', { task_id: 'numbers' }), []);
    assert.ok(processed > 0);
  } finally {
    abort.abort();
    await run;
  }
});
