// The source wrapper on the mini-cluster: a limit reads exactly that many
// records and asks once to stop; a bounded source held open at its end lets
// savepoints be taken and holds no event time back, also after a restore.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { JobControl } from '../../runtime/execution/job-control.ts';
import {
  dataGenerator,
  forMonotonousTimestamps,
  StreamEnvironment,
  TumblingEventTimeWindows,
} from '../../runtime/index.ts';
import { waitUntil } from '../../runtime/testing/wait-until.ts';
import { meteredSource } from './metered-source.ts';
import { Progress } from './progress.ts';

const dir = mkdtempSync(join(tmpdir(), 'brook-recommendation-metered-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `env`'s job while `body` watches it; a failing body cancels the job rather than leave it running. */
async function watch<T>(
  env: StreamEnvironment,
  options: { fromSavepoint?: string },
  body: (control: JobControl, result: Promise<unknown>) => Promise<T>,
): Promise<T> {
  const abort = new AbortController();
  const control = new JobControl();
  const running = env.execute('metered', { ...options, control, signal: abort.signal });
  try {
    return await body(control, running);
  } catch (error) {
    abort.abort();
    await running.catch(() => {});
    throw error;
  }
}

test(
  'with a limit, exactly that many records are read over all readers, and the stop is asked for once',
  { timeout: 60_000 },
  async () => {
    const env = new StreamEnvironment().setParallelism(3);
    const progress = new Progress({ intervalMs: 0 });
    let asked = 0;
    let stop: (() => void) | undefined;
    const source = meteredSource(dataGenerator({ seed: 1, generate: (i) => i }), {
      name: 'numbers',
      progress,
      limit: {
        records: 500,
        onReached: () => {
          asked++;
          stop?.();
        },
      },
    });
    const read = env.fromSource(source).uid('numbers').collect();
    const savepoint = await watch(env, {}, async (control, running) => {
      const stopped = new Promise<string>((resolve, reject) => {
        stop = () => void control.stopWithSavepoint(`file://${dir}/limit`).then(resolve, reject);
      });
      await waitUntil(() => asked > 0, 'the limit is reached', 30_000);
      await running;
      return stopped;
    });
    assert.ok(savepoint, 'stopped with a savepoint');
    assert.equal(asked, 1);
    assert.equal(read.values.length, 500);
    assert.equal(new Set(read.values).size, 500);
    assert.equal(progress.recordsIn.get('numbers'), 500);
  },
);

/** A bounded catalogue (held open) next to an unbounded stream; per-window counts of both, unioned. */
function catalogueAndEvents(env: StreamEnvironment) {
  const progress = new Progress({ intervalMs: 0 });
  const catalogue = env
    .fromSource(
      meteredSource(dataGenerator({ count: 5, generate: () => 0 }), { name: 'catalogue', progress, holdAtEnd: true }),
      forMonotonousTimestamps<number>().withTimestampAssigner((t) => t),
    )
    .uid('catalogue');
  const events = env
    .fromSource(
      dataGenerator({ recordsPerSecond: 2000, generate: (i) => i * 10 }),
      forMonotonousTimestamps<number>().withTimestampAssigner((t) => t),
    )
    .uid('events');
  return catalogue
    .union(events)
    .windowAll(TumblingEventTimeWindows.of(1000))
    .aggregate({
      createAccumulator: () => ({ end: 0, count: 0 }),
      add: (t: number, acc) => ({ end: Math.floor(t / 1000) * 1000 + 1000, count: acc.count + 1 }),
      getResult: (acc) => acc,
      merge: (a, b) => ({ end: Math.max(a.end, b.end), count: a.count + b.count }),
    })
    .uid('windows')
    .collect();
}

test(
  'a bounded source held open at its end holds no event time back, lets a savepoint be taken, and still after a restore',
  { timeout: 90_000 },
  async () => {
    const first = new StreamEnvironment().setParallelism(2);
    const windows = catalogueAndEvents(first);
    const savepoint = await watch(first, {}, async (control, running) => {
      // Windows fire only when the finished catalogue no longer holds event time at 0.
      await waitUntil(() => windows.values.some((w) => w.end >= 3000), 'windows fire', 30_000);
      const location = await control.stopWithSavepoint(`file://${dir}/held`);
      await running;
      return location;
    });
    const lastEnd = Math.max(...windows.values.map((w) => w.end));

    const second = new StreamEnvironment().setParallelism(2);
    const resumed = catalogueAndEvents(second);
    await watch(second, { fromSavepoint: savepoint }, async (control, running) => {
      // The restored catalogue reader has nothing left to read; it must not hold event time back either.
      await waitUntil(
        () => resumed.values.some((w) => w.end >= lastEnd + 2000),
        'windows fire after the restore',
        30_000,
      );
      await control.stopWithSavepoint(`file://${dir}/held-again`);
      await running;
    });
    assert.ok(Math.min(...resumed.values.map((w) => w.end)) > lastEnd, 'no window fired twice');
  },
);
