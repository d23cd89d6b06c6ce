// Every kind of keyed state used from a KeyedProcessFunction, record by record,
// at parallelism 1 and 4: the running results equal a plain replay of the same
// input per key. Also tuple keys, and a state name reused with another kind.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom, seedFor } from '../connectors/random.ts';
import {
  JobExecutionError,
  StreamEnvironment,
  UserFunctionError,
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
import { KeyedStateBackend, StateDescriptorConflictError } from './keyed-state-backend.ts';

interface Sale {
  index: number;
  key: string;
  item: string;
  amount: number;
}

// Four splits, and each key is drawn from one split only, so the records of a key
// reach its instance in index order whatever the parallelism.
const SPLITS = 4;
const generate = (index: number, r: SeededRandom): Sale => ({
  index,
  key: `k${index % SPLITS}-${r.int(0, 6)}`,
  item: `i${r.int(0, 5)}`,
  amount: r.int(1, 40),
});

interface Snapshot {
  index: number;
  key: string;
  count: number;
  sum: number;
  mean: number;
  items: [string, number][];
  recent: number[];
}

/** Every state kind, updated per record; a record with amount 1 clears the key's state first. */
function stateful(): KeyedProcessFunction<string, Sale, Snapshot> {
  const fn: KeyedProcessFunction<string, Sale, Snapshot> & {
    count?: ValueState<number>;
    sum?: ReducingState<number>;
    mean?: AggregatingState<number, number>;
    items?: MapState<string, number>;
    recent?: ListState<number>;
  } = {
    open(ctx) {
      this.count = ctx.getState(valueState<number>('count'));
      this.sum = ctx.getReducingState(reducingState<number>('sum', (a, b) => a + b));
      this.mean = ctx.getAggregatingState(
        aggregatingState<number, { total: number; n: number }, number>('mean', {
          createAccumulator: () => ({ total: 0, n: 0 }),
          add: (v, acc) => ({ total: acc.total + v, n: acc.n + 1 }),
          getResult: (acc) => acc.total / acc.n,
          merge: (a, b) => ({ total: a.total + b.total, n: a.n + b.n }),
        }),
      );
      this.items = ctx.getMapState(mapState<string, number>('items'));
      this.recent = ctx.getListState(listState<number>('recent'));
    },
    processElement(sale, ctx, out) {
      if (sale.amount === 1) {
        for (const state of [this.count!, this.sum!, this.mean!, this.items!, this.recent!]) state.clear();
      }
      this.count!.update((this.count!.value() ?? 0) + 1);
      this.sum!.add(sale.amount);
      this.mean!.add(sale.amount);
      if (sale.amount % 7 === 0 && this.items!.contains(sale.item)) this.items!.remove(sale.item);
      else this.items!.put(sale.item, (this.items!.get(sale.item) ?? 0) + sale.amount);
      this.recent!.add(sale.amount);
      if (this.recent!.get().length > 3) this.recent!.update(this.recent!.get().slice(-3));
      out.collect({
        index: sale.index,
        key: ctx.getCurrentKey(),
        count: this.count!.value()!,
        sum: this.sum!.get()!,
        mean: this.mean!.get()!,
        items: this.items!.entries().sort(([a], [b]) => a.localeCompare(b)),
        recent: this.recent!.get(),
      });
    },
  };
  return fn;
}

/** The same running results computed with plain maps and arrays. */
function replay(sales: Sale[]): Snapshot[] {
  interface Model {
    count: number;
    sum: number;
    total: number;
    n: number;
    items: Map<string, number>;
    recent: number[];
  }
  const fresh = (): Model => ({ count: 0, sum: 0, total: 0, n: 0, items: new Map(), recent: [] });
  const byKey = new Map<string, Model>();
  return sales.map((sale) => {
    let m = byKey.get(sale.key);
    if (m === undefined || sale.amount === 1) byKey.set(sale.key, (m = fresh()));
    m.count++;
    m.sum += sale.amount;
    m.total += sale.amount;
    m.n++;
    if (sale.amount % 7 === 0 && m.items.has(sale.item)) m.items.delete(sale.item);
    else m.items.set(sale.item, (m.items.get(sale.item) ?? 0) + sale.amount);
    m.recent = [...m.recent, sale.amount].slice(-3);
    return {
      index: sale.index,
      key: sale.key,
      count: m.count,
      sum: m.sum,
      mean: m.total / m.n,
      items: [...m.items].sort(([a], [b]) => a.localeCompare(b)),
      recent: m.recent,
    };
  });
}

for (const [parallelism, backend] of [
  [1, 'heap'],
  [4, 'heap'],
  [1, 'lmdb'],
  [4, 'lmdb'],
] as const) {
  test(`value, list, map, reducing and aggregating state give per-record results equal to a plain per-key replay (parallelism ${parallelism}, ${backend} backend)`, async () => {
    const count = 6000;
    const seed = 11;
    const random = new SeededRandom();
    const sales = Array.from({ length: count }, (_, i) => generate(i, random.reset(seedFor(seed, i))));
    assert.ok(sales.some((s) => s.amount === 1) && sales.some((s) => s.amount % 7 === 0), 'input clears and removes');

    const env = new StreamEnvironment().setParallelism(parallelism).setStateBackend({ kind: backend });
    const out = env
      .fromGenerator({ count, seed, generate, splits: SPLITS })
      .keyBy((s) => s.key)
      .process(stateful())
      .collect();
    await env.execute('state-kinds');

    const got = out.values.sort((a, b) => a.index - b.index);
    assert.equal(got.length, count);
    assert.deepEqual(got, replay(sales));
  });
}

test('tuple keys keep their parts and types: state is per tuple and getCurrentKey returns the tuple in processElement and onTimer', async () => {
  interface Reading {
    site: string;
    sensor: number;
    ok: boolean;
    value: number;
    at: number;
  }
  type SensorKey = [string, number, boolean];
  const readings: Reading[] = Array.from({ length: 600 }, (_, i) => ({
    site: ['north', 'south', '1'][i % 3]!,
    sensor: i % 4 === 0 ? 1 : (i % 5) - 2,
    ok: i % 7 !== 0,
    value: (i * 37) % 101,
    at: i,
  }));
  const seenInProcess: unknown[] = [];
  const fn: KeyedProcessFunction<SensorKey, Reading, [SensorKey, number, number]> & {
    total?: ValueState<number>;
    n?: ValueState<number>;
  } = {
    open(ctx) {
      this.total = ctx.getState(valueState<number>('total'));
      this.n = ctx.getState(valueState<number>('n'));
    },
    processElement(r, ctx) {
      seenInProcess.push([ctx.getCurrentKey(), [r.site, r.sensor, r.ok]]);
      this.total!.update((this.total!.value() ?? 0) + r.value);
      this.n!.update((this.n!.value() ?? 0) + 1);
      ctx.timerService().registerEventTimeTimer(10_000);
    },
    onTimer(_timestamp, ctx, out) {
      out.collect([ctx.getCurrentKey(), this.total!.value()!, this.n!.value()!]);
    },
  };
  const env = new StreamEnvironment().setParallelism(3);
  const out = env
    .fromCollection(readings)
    .assignTimestampsAndWatermarks(forMonotonousTimestamps<Reading>().withTimestampAssigner((r) => r.at))
    .keyBy((r): SensorKey => [r.site, r.sensor, r.ok])
    .process(fn)
    .collect();
  await env.execute('tuple-keys');

  const expected = new Map<string, [SensorKey, number, number]>();
  for (const r of readings) {
    const key: SensorKey = [r.site, r.sensor, r.ok];
    const id = JSON.stringify(key);
    const [, total, n] = expected.get(id) ?? [key, 0, 0];
    expected.set(id, [key, total + r.value, n + 1]);
  }
  const byId = (rows: [SensorKey, number, number][]) =>
    [...rows].sort((a, b) => JSON.stringify(a[0]).localeCompare(JSON.stringify(b[0])));
  assert.deepEqual(byId(out.values), byId([...expected.values()]));
  for (const [current, fromRecord] of seenInProcess as [unknown, unknown][]) assert.deepEqual(current, fromRecord);
  // '1' (a string) and 1 (a number) must stay different key parts.
  assert.ok(out.values.some(([[site]]) => site === '1'));
});

test('a state name reused with another kind of state is refused with BROOK_STATE_DESCRIPTOR_CONFLICT naming both kinds', () => {
  const backend = new KeyedStateBackend({
    keyGroupRange: { start: 0, end: 127 },
    maxParallelism: 128,
    now: () => 0,
  });
  backend.getPartitionedState(valueState<number>('clicks'));
  for (const other of [
    mapState<string, number>('clicks'),
    listState<number>('clicks'),
    reducingState<number>('clicks', (a, b) => a + b),
  ]) {
    assert.throws(
      () => backend.getPartitionedState(other),
      (error: unknown) =>
        error instanceof StateDescriptorConflictError &&
        error.code === 'BROOK_STATE_DESCRIPTOR_CONFLICT' &&
        error.message === `state 'clicks' is registered as value state and requested as ${other.kind} state`,
    );
  }
  // The same name and kind gives the same state, also through a second descriptor object.
  assert.equal(
    backend.getPartitionedState(valueState<number>('clicks')),
    backend.getPartitionedState(valueState('clicks')),
  );
});

test('in a job, reusing a state name with another kind fails the job naming the operator and both kinds', async () => {
  const env = new StreamEnvironment();
  const fn: KeyedProcessFunction<string, string, never> = {
    open(ctx) {
      ctx.getState(valueState<number>('seen'));
      ctx.getMapState(mapState<string, number>('seen'));
    },
    processElement() {},
  };
  env
    .fromCollection(['a'])
    .keyBy((s) => s)
    .process(fn)
    .name('dedupe')
    .collect();
  await assert.rejects(env.execute('conflict'), (error: unknown) => {
    assert.ok(error instanceof JobExecutionError);
    assert.equal(error.code, 'BROOK_JOB_FAILED');
    assert.match(
      error.message,
      /operator 'dedupe'.*state 'seen' is registered as value state and requested as map state/,
    );
    assert.ok(error.cause instanceof UserFunctionError);
    assert.equal(error.cause.operatorName, 'dedupe');
    assert.ok(error.cause.cause instanceof StateDescriptorConflictError);
    return true;
  });
});
