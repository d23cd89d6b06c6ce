// What window functions see and compute: ProcessWindowFunction's key, window
// and elements, aggregate and reduce with and without one, per-window state and
// clear(), and windowAll, each compared with a plain computation over the input.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectionSource } from '../connectors/collection-source.ts';
import { SeededRandom, seedFor } from '../connectors/random.ts';
import {
  SlidingEventTimeWindows,
  StreamEnvironment,
  TumblingEventTimeWindows,
  forBoundedOutOfOrderness,
  valueState,
  type AggregateFunction,
  type Key,
} from '../index.ts';
import {
  fixedWindowModel,
  jitteredEvents,
  punctuatedWatermarks,
  tumblingWindows,
  type Event,
} from '../testing/window-model.ts';

/** Every record in each window of each key, as `key@start`, when nothing is late. */
function groupByWindow<T>(input: T[], keyOf: (e: T) => string, windowsOf: (e: T) => [number, number][]) {
  const groups = new Map<string, T[]>();
  for (const e of input) {
    for (const [start] of windowsOf(e)) {
      const id = `${keyOf(e)}@${start}`;
      groups.set(id, [...(groups.get(id) ?? []), e]);
    }
  }
  return groups;
}

test('a ProcessWindowFunction gets the key, the window start and end, and exactly the elements of its window', async () => {
  const input = jitteredEvents({ count: 2000, keys: 6, step: 5, jitter: 50, seed: 13 });
  const env = new StreamEnvironment().setParallelism(3);
  const results = env
    .fromSource(collectionSource(input), punctuatedWatermarks<Event>(50))
    .setParallelism(1)
    .keyBy((e) => e.key)
    .window(SlidingEventTimeWindows.of(400, 150))
    .process<[string, number[]]>({
      process(key, ctx, events, out) {
        const { start, end } = ctx.window;
        assert.equal(end - start, 400);
        assert.ok(ctx.currentWatermark() >= end - 1, 'the watermark has passed the window when it fires');
        out.collect([`${key}@${start}`, [...events].map((e) => e.seq).sort((a, b) => a - b)]);
      },
    })
    .collect();
  await env.execute('process-window-function');
  const slides = (ts: number) => {
    const windows: [number, number][] = [];
    for (let start = Math.floor(ts / 150) * 150; start > ts - 400; start -= 150) windows.push([start, start + 400]);
    return windows;
  };
  const want = [
    ...groupByWindow(
      input,
      (e) => e.key,
      (e) => slides(e.ts),
    ),
  ].map(([id, events]) => [id, events.map((e) => e.seq)]);
  assert.deepEqual(results.values.sort(), want.sort());
});

test('numeric and composite keys reach the window function as the key selector returned them, on time and on late firings', async () => {
  const input: { user: number; region: string; ts: number }[] = [
    { user: 7, region: 'eu', ts: 10 },
    { user: 8, region: 'us', ts: 20 },
    { user: 7, region: 'eu', ts: 2000 }, // watermark 1999: the windows at 0 fire
    { user: 7, region: 'eu', ts: 30 }, // late, within the lateness: fires again, outside any timer
  ];
  for (const [name, keyOf] of [
    ['numeric', (e: (typeof input)[number]) => e.user],
    ['composite', (e: (typeof input)[number]) => [e.user, e.region]],
  ] as const) {
    const env = new StreamEnvironment().setParallelism(2);
    const results = env
      .fromSource(collectionSource(input), punctuatedWatermarks<(typeof input)[number]>(0))
      .setParallelism(1)
      .keyBy<Key>(keyOf)
      .window(TumblingEventTimeWindows.of(1000))
      .allowedLateness(5000)
      .process<[Key, number, number]>({
        process(key, ctx, events, out) {
          out.collect([key, ctx.window.start, [...events].length]);
        },
      })
      .collect();
    await env.execute(`${name}-keys`);
    const k7 = keyOf(input[0]!);
    const k8 = keyOf(input[1]!);
    const byWindow = (a: [Key, number, number], b: [Key, number, number]) =>
      String(a[0]).localeCompare(String(b[0])) || a[1] - b[1] || a[2] - b[2];
    assert.deepEqual(
      results.values.sort(byWindow),
      (
        [
          [k7, 0, 1],
          [k7, 0, 2],
          [k7, 2000, 1],
          [k8, 0, 1],
        ] as [Key, number, number][]
      ).sort(byWindow),
      name,
    );
  }
});

interface Measurement {
  key: string;
  ts: number;
  value: number;
}

const measurements = (count: number, seed: number): Measurement[] =>
  jitteredEvents({ count, keys: 5, step: 10, jitter: 30, seed }).map((e) => ({
    key: e.key,
    ts: e.ts,
    value: (e.seq * 7919) % 101,
  }));

const inSecond = (e: { ts: number }): [number, number][] => tumblingWindows(1000)(e.ts);

test('aggregate with a ProcessWindowFunction hands it exactly one element: the aggregate of the key and window', async () => {
  const input = measurements(3000, 21);
  const average: AggregateFunction<Measurement, [number, number], number> = {
    createAccumulator: () => [0, 0],
    add: (m, [sum, n]) => [sum + m.value, n + 1],
    getResult: ([sum, n]) => sum / n,
    merge: ([s1, n1], [s2, n2]) => [s1 + s2, n1 + n2],
  };
  const env = new StreamEnvironment().setParallelism(4);
  const results = env
    .fromSource(collectionSource(input), punctuatedWatermarks<Measurement>(30))
    .setParallelism(1)
    .keyBy((m) => m.key)
    .window(TumblingEventTimeWindows.of(1000))
    .aggregate(average, {
      process(key, ctx, averages, out) {
        const all = [...averages];
        out.collect(`${key}@${ctx.window.start} ${all.length}x${all[0]!.toFixed(6)}`);
      },
    })
    .collect();
  await env.execute('aggregate-and-window-function');
  const want = [...groupByWindow(input, (m) => m.key, inSecond)].map(
    ([id, ms]) => `${id} 1x${(ms.reduce((s, m) => s + m.value, 0) / ms.length).toFixed(6)}`,
  );
  assert.deepEqual(results.values.sort(), want.sort());
});

test('reduce folds each window of each key as a plain fold does; with a ProcessWindowFunction it gets the one reduced value', async () => {
  const input = measurements(3000, 22);
  const fold = (a: Measurement, b: Measurement): Measurement => ({
    key: a.key,
    ts: Math.max(a.ts, b.ts),
    value: a.value + b.value,
  });
  const env = new StreamEnvironment().setParallelism(2);
  const keyed = env
    .fromSource(collectionSource(input), punctuatedWatermarks<Measurement>(30))
    .setParallelism(1)
    .keyBy((m) => m.key);
  const plain = keyed.window(TumblingEventTimeWindows.of(1000)).reduce(fold).collect();
  const described = keyed
    .window(TumblingEventTimeWindows.of(1000))
    .reduce(fold, {
      process(key, ctx, sums, out) {
        out.collect(`${key}@${ctx.window.start} ${[...sums].map((m) => m.value).join(',')}`);
      },
    })
    .collect();
  await env.execute('reduce');
  const groups = [...groupByWindow(input, (m) => m.key, inSecond)];
  assert.deepEqual(
    plain.records.map((r) => `${r.value.key}@${r.timestamp! - 999} ${r.value.value} ${r.value.ts}`).sort(),
    groups.map(([id, ms]) => `${id} ${ms.reduce(fold).value} ${Math.max(...ms.map((m) => m.ts))}`).sort(),
  );
  assert.deepEqual(described.values.sort(), groups.map(([id, ms]) => `${id} ${ms.reduce(fold).value}`).sort());
});

test('per-window state lives across late firings of its window, and clear() runs once per window when its lateness has passed', async () => {
  const input = jitteredEvents({ count: 1500, keys: 3, step: 10, jitter: 200, seed: 19 });
  const lateness = 300;
  const want = fixedWindowModel(input, { bound: 20, lateness, windowsOf: tumblingWindows(500) });
  const env = new StreamEnvironment().setParallelism(2);
  const cleared: string[] = [];
  const results = env
    .fromSource(collectionSource(input), punctuatedWatermarks<Event>(20))
    .setParallelism(1)
    .keyBy((e) => e.key)
    .window(TumblingEventTimeWindows.of(500))
    .allowedLateness(lateness)
    .process<string>({
      process(key, ctx, events, out) {
        const firings = ctx.windowState.getState(valueState<number>('firings'));
        const total = ctx.globalState.getState(valueState<number>('firings'));
        firings.update((firings.value() ?? 0) + 1);
        total.update((total.value() ?? 0) + 1);
        out.collect(`${key}@${ctx.window.start} #${firings.value()} ${[...events].length}`);
      },
      clear(ctx) {
        const firings = ctx.windowState.getState(valueState<number>('firings'));
        // Flink leaves per-window state to clear(): it must still be there.
        cleared.push(`${ctx.window.start}:${firings.value()}`);
        firings.clear();
      },
    })
    .collect();
  await env.execute('per-window-state');
  const firingNumber = new Map<string, number>();
  const expected = want.firings.map((f) => {
    const id = `${f.key}@${f.start}`;
    firingNumber.set(id, (firingNumber.get(id) ?? 0) + 1);
    return `${id} #${firingNumber.get(id)} ${f.count}`;
  });
  assert.ok(
    expected.some((line) => !line.includes(' #1 ')),
    'some windows fire late',
  );
  assert.deepEqual(results.values.sort(), expected.sort());
  assert.deepEqual(cleared.sort(), [...firingNumber].map(([id, n]) => `${id.split('@')[1]}:${n}`).sort());
});

interface Click {
  page: number;
  at: number;
}

const click = (index: number, random: SeededRandom): Click => ({
  page: random.int(0, 50),
  at: index * 2 + random.int(0, 40),
});

test('windowAll computes over every key per window on a single instance, reading a parallel source', async () => {
  const count = 10_000;
  const env = new StreamEnvironment().setParallelism(4).setAutoWatermarkInterval(5);
  const clicks = env.fromGenerator(
    { count, seed: 9, generate: click },
    forBoundedOutOfOrderness<Click>(40).withTimestampAssigner((c) => c.at),
  );
  const counts = clicks
    .windowAll(TumblingEventTimeWindows.of(1000))
    .aggregate({ createAccumulator: () => 0, add: (_c, n) => n + 1, getResult: (n) => n, merge: (a, b) => a + b })
    .collect();
  const spans = clicks
    .windowAll(TumblingEventTimeWindows.of(1000))
    .process<string>({
      process(ctx, all, out) {
        const pages = [...all].map((c) => c.page);
        out.collect(
          `${ctx.window.start}-${ctx.window.end} ${pages.length} ${Math.min(...pages)}..${Math.max(...pages)}`,
        );
      },
    })
    .collect();
  const maxPage = clicks
    .windowAll(TumblingEventTimeWindows.of(1000))
    .reduce((a, b) => (b.page > a.page ? b : a))
    .collect();
  await env.execute('window-all');
  const random = new SeededRandom();
  const all = Array.from({ length: count }, (_, i) => click(i, random.reset(seedFor(9, i))));
  const groups = [
    ...groupByWindow(
      all,
      () => 'all',
      (c) => tumblingWindows(1000)(c.at),
    ),
  ].sort(([a], [b]) => Number(a.slice(4)) - Number(b.slice(4)));
  assert.deepEqual(
    counts.records.map((r) => [r.timestamp, r.value]).sort((a, b) => a[0]! - b[0]!),
    groups.map(([id, cs]) => [Number(id.slice(4)) + 999, cs.length]),
  );
  assert.deepEqual(
    spans.values.sort(),
    groups
      .map(([id, cs]) => {
        const start = Number(id.slice(4));
        const pages = cs.map((c) => c.page);
        return `${start}-${start + 1000} ${cs.length} ${Math.min(...pages)}..${Math.max(...pages)}`;
      })
      .sort(),
  );
  assert.deepEqual(
    maxPage.values.map((c) => c.page).sort((a, b) => a - b),
    groups.map(([, cs]) => Math.max(...cs.map((c) => c.page))).sort((a, b) => a - b),
  );
  assert.deepEqual(
    env
      .getJobGraph()
      .nodes.filter((n) => n.name.startsWith('WindowAll'))
      .map((n) => n.parallelism),
    [1, 1, 1],
    'windowAll runs on one instance',
  );
});
