// Keyed process functions with every kind of keyed state and with timers, at
// parallelism 1 and 4, compared with an independent computation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  StreamEnvironment,
  aggregatingState,
  forMonotonousTimestamps,
  listState,
  mapState,
  reducingState,
  valueState,
  type AggregatingState,
  type KeyedProcessFunction,
  type ListState,
  type MapState,
  type ReducingState,
  type ValueState,
} from '../index.ts';

interface Purchase {
  user: string;
  item: string;
  amount: number;
  at: number;
}

const generate = (i: number, r: { int(a: number, b: number): number }): Purchase => ({
  user: `u${r.int(0, 40)}`,
  item: `i${r.int(0, 8)}`,
  amount: r.int(1, 100),
  at: i,
});

interface Summary {
  user: string;
  count: number;
  total: number;
  max: number;
  mean: number;
  distinctItems: number;
  lastThree: number[];
}

type StateHolder = {
  count?: ValueState<number>;
  total?: ReducingState<number>;
  max?: ReducingState<number>;
  mean?: AggregatingState<number, number>;
  items?: MapState<string, number>;
  recent?: ListState<number>;
};

const summarise: KeyedProcessFunction<string, Purchase, Summary> & StateHolder = {
  open(ctx) {
    this.count = ctx.getState(valueState<number>('count'));
    this.total = ctx.getReducingState(reducingState<number>('total', (a, b) => a + b));
    this.max = ctx.getReducingState(reducingState<number>('max', (a, b) => Math.max(a, b)));
    this.mean = ctx.getAggregatingState(
      aggregatingState<number, [number, number], number>('mean', {
        createAccumulator: () => [0, 0],
        add: (v, [s, n]) => [s + v, n + 1],
        getResult: ([s, n]) => s / n,
        merge: ([s1, n1], [s2, n2]) => [s1 + s2, n1 + n2],
      }),
    );
    this.items = ctx.getMapState(mapState<string, number>('items'));
    this.recent = ctx.getListState(listState<number>('recent'));
  },
  processElement(p, ctx) {
    this.count!.update((this.count!.value() ?? 0) + 1);
    this.total!.add(p.amount);
    this.max!.add(p.amount);
    this.mean!.add(p.amount);
    this.items!.put(p.item, (this.items!.get(p.item) ?? 0) + 1);
    this.recent!.update([...this.recent!.get(), p.amount].slice(-3));
    // One event-time timer per key at the end of input time: registered on every record, fires once.
    ctx.timerService().registerEventTimeTimer(1_000_000);
  },
  onTimer(timestamp, ctx, out) {
    out.collect({
      user: ctx.getCurrentKey(),
      count: this.count!.value()!,
      total: this.total!.get()!,
      max: this.max!.get()!,
      mean: this.mean!.get()!,
      distinctItems: this.items!.keys().length,
      lastThree: this.recent!.get(),
    });
  },
};

function expected(input: Purchase[]): Summary[] {
  const byUser = new Map<string, Purchase[]>();
  for (const p of input) byUser.set(p.user, [...(byUser.get(p.user) ?? []), p]);
  return [...byUser]
    .map(([user, ps]) => ({
      user,
      count: ps.length,
      total: ps.reduce((s, p) => s + p.amount, 0),
      max: Math.max(...ps.map((p) => p.amount)),
      mean: ps.reduce((s, p) => s + p.amount, 0) / ps.length,
      distinctItems: new Set(ps.map((p) => p.item)).size,
      lastThree: ps.slice(-3).map((p) => p.amount),
    }))
    .sort((a, b) => a.user.localeCompare(b.user));
}

for (const parallelism of [1, 4]) {
  test(`value, reducing, aggregating, map and list state per key equal an independent computation; a timer registered per record fires once per key (parallelism ${parallelism})`, async () => {
    const count = 5000;
    // The same input, generated independently of the job for the expectation.
    const { SeededRandom, seedFor } = await import('../connectors/random.ts');
    const random = new SeededRandom();
    const input = Array.from({ length: count }, (_, i) => generate(i, random.reset(seedFor(42, i))));

    const env = new StreamEnvironment().setParallelism(parallelism);
    const out = env
      .fromGenerator(
        { count, seed: 42, generate, splits: 1 },
        forMonotonousTimestamps<Purchase>().withTimestampAssigner((p) => p.at),
      )
      .setParallelism(1)
      .keyBy((p) => p.user)
      .process(summarise)
      .uid('summaries')
      .collect();
    await env.execute('keyed-state');
    const got = out.values.sort((a, b) => a.user.localeCompare(b.user));
    assert.deepEqual(got, expected(input));
    assert.ok(
      out.records.every((r) => r.timestamp === 1_000_000),
      'timer output carries the timer timestamp',
    );
  });
}

test('event-time timers fire in timestamp order as the watermark passes them, and deleted timers do not fire', async () => {
  const env = new StreamEnvironment();
  const fired: [string, number][] = [];
  const fn: KeyedProcessFunction<string, { key: string; at: number; timer: number; cancel?: boolean }, never> = {
    processElement(e, ctx) {
      if (e.cancel) ctx.timerService().deleteEventTimeTimer(e.timer);
      else ctx.timerService().registerEventTimeTimer(e.timer);
    },
    onTimer(timestamp, ctx) {
      fired.push([ctx.getCurrentKey(), timestamp]);
    },
  };
  env
    .fromCollection([
      { key: 'a', at: 1, timer: 300 },
      { key: 'b', at: 2, timer: 100 },
      { key: 'a', at: 3, timer: 200 },
      { key: 'a', at: 4, timer: 200 },
      { key: 'b', at: 5, timer: 250, cancel: false },
      { key: 'b', at: 6, timer: 250, cancel: true },
    ])
    .assignTimestampsAndWatermarks(
      forMonotonousTimestamps<{ key: string; at: number; timer: number }>().withTimestampAssigner((e) => e.at),
    )
    .keyBy((e) => e.key)
    .process(fn)
    .collect();
  await env.execute('timers');
  assert.deepEqual(fired, [
    ['b', 100],
    ['a', 200],
    ['a', 300],
  ]);
});
