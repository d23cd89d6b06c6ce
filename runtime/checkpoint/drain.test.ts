// Stop with savepoint and drain (Flink's stop --drain): sources end event time
// before the savepoint barrier, so windows still open fire and their results
// are part of the stopped job's output; without drain they stay in the savepoint.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { JobControl } from '../execution/job-control.ts';
import { StreamEnvironment, TumblingEventTimeWindows, forMonotonousTimestamps } from '../index.ts';
import { queueSource } from '../testing/queue-source.ts';
import { waitUntil } from '../testing/wait-until.ts';

const root = mkdtempSync(join(tmpdir(), 'brook-drain-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface Click {
  user: string;
  at: number;
}

/** Clicks per user in 1 s event-time windows; returns what the job emitted when stopped. */
async function stopWindowedJob(drain: boolean): Promise<{ savepoint: string; results: [string, number][] }> {
  const env = new StreamEnvironment();
  env.enableCheckpointing(60_000);
  env.setCheckpointStorage(`file://${root}/checkpoints`);
  const queue = queueSource<Click>();
  const results = env
    .fromSource(
      queue.source,
      forMonotonousTimestamps<Click>().withTimestampAssigner((c) => c.at),
      'clicks',
    )
    .keyBy((c) => c.user)
    .window(TumblingEventTimeWindows.of(1000))
    .aggregate({
      createAccumulator: () => ['', 0] as [string, number],
      add: (c, [, n]) => [c.user, n + 1] as [string, number],
      getResult: (acc) => acc,
      merge: ([u, a], [, b]) => [u, a + b] as [string, number],
    })
    .collect();
  const control = new JobControl();
  const run = env.execute(`drain-${drain}`, { control });
  // Window [0, 1000) closes at watermark 999 (by the click at 1500); [1000, 2000) stays open.
  queue.push({ user: 'a', at: 100 }, { user: 'b', at: 200 }, { user: 'a', at: 300 }, { user: 'a', at: 1500 });
  await waitUntil(() => results.values.length === 2, 'the first window fired', 10_000);
  const savepoint = await control.stopWithSavepoint(`file://${root}/sp-${drain}`, { drain });
  await run;
  return { savepoint, results: results.values.sort() };
}

test('stop with drain fires the windows still open before the savepoint; without drain they do not fire', async () => {
  const drained = await stopWindowedJob(true);
  assert.deepEqual(drained.results, [
    ['a', 1],
    ['a', 2],
    ['b', 1],
  ]);
  const kept = await stopWindowedJob(false);
  assert.deepEqual(kept.results, [
    ['a', 2],
    ['b', 1],
  ]);
  assert.match(drained.savepoint, /sp-true$/);
});
