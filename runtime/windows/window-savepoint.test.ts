// Window state across a savepoint: contents, session merging sets and window
// timers stop at one parallelism and restore at another, and every window
// still fires exactly once with what an independent grouping of the input gives.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SeededRandom, seedFor } from '../connectors/random.ts';
import { JobControl } from '../execution/job-control.ts';
import { waitUntil } from '../testing/wait-until.ts';
import {
  EventTimeSessionWindows,
  StreamEnvironment,
  TumblingEventTimeWindows,
  forBoundedOutOfOrderness,
  type WindowAssigner,
} from '../index.ts';

const root = mkdtempSync(join(tmpdir(), 'brook-window-savepoints-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface Visit {
  user: string;
  at: number;
}

const RECORDS = 6000;
// Bursts per user with pauses, so users have many sessions; out of order by up to 20 ms.
const generate = (i: number, r: SeededRandom): Visit => ({
  user: `u${r.int(0, 12)}`,
  at: i * 4 + Math.floor(i / 300) * 500 + r.int(0, 21),
});

function build(parallelism: number, assigner: WindowAssigner, recordsPerSecond?: number) {
  const env = new StreamEnvironment().setParallelism(parallelism).setAutoWatermarkInterval(10);
  const results = env
    .fromGenerator(
      { count: RECORDS, seed: 8, generate, recordsPerSecond, splits: 4 },
      forBoundedOutOfOrderness<Visit>(20).withTimestampAssigner((v) => v.at),
    )
    .uid('visits')
    .keyBy((v) => v.user)
    .window(assigner)
    .process<string>({
      process(user, ctx, visits, out) {
        out.collect(`${user} [${ctx.window.start}, ${ctx.window.end}) ${[...visits].length}`);
      },
    })
    .uid('windows')
    .collect();
  return { env, results };
}

/** Sessions of each user's sorted visit times, or fixed windows of 700 ms: the expected firings. */
function expected(assigner: 'session' | 'tumbling'): string[] {
  const random = new SeededRandom();
  const times = new Map<string, number[]>();
  for (let i = 0; i < RECORDS; i++) {
    const v = generate(i, random.reset(seedFor(8, i)));
    times.set(v.user, [...(times.get(v.user) ?? []), v.at]);
  }
  const firings: string[] = [];
  for (const [user, all] of times) {
    const sorted = all.sort((a, b) => a - b);
    if (assigner === 'tumbling') {
      const counts = new Map<number, number>();
      for (const t of sorted) counts.set(Math.floor(t / 700) * 700, (counts.get(Math.floor(t / 700) * 700) ?? 0) + 1);
      for (const [start, n] of counts) firings.push(`${user} [${start}, ${start + 700}) ${n}`);
      continue;
    }
    let session = { start: sorted[0]!, end: sorted[0]! + 100, n: 0 };
    for (const t of sorted) {
      if (t > session.end) {
        firings.push(`${user} [${session.start}, ${session.end}) ${session.n}`);
        session = { start: t, end: t + 100, n: 0 };
      }
      session.end = Math.max(session.end, t + 100);
      session.n++;
    }
    firings.push(`${user} [${session.start}, ${session.end}) ${session.n}`);
  }
  return firings.sort();
}

for (const [kind, assigner] of [
  ['session', EventTimeSessionWindows.withGap(100)],
  ['tumbling', TumblingEventTimeWindows.of(700)],
] as const) {
  test(`${kind} windows stopped with a savepoint at parallelism 2 and restored at 3 fire every window exactly once`, async () => {
    const first = build(2, assigner, 5_000);
    const control = new JobControl();
    const job = first.env.execute(`${kind}-with-savepoint`, { control });
    await waitUntil(() => first.results.values.length > 0, 'some windows fired', 20_000);
    const location = await control.stopWithSavepoint(`file://${root}/${kind}`);
    await job;
    const before = first.results.values.length;
    assert.ok(before > 0, 'some windows fired before the savepoint');

    const second = build(3, assigner);
    await second.env.execute(`${kind}-restored`, { fromSavepoint: location });
    assert.ok(second.results.values.length > 0, 'the rest fired after the restore');
    assert.deepEqual([...first.results.values, ...second.results.values].sort(), expected(kind));
  });
}
