// State TTL inside a running job on a ManualClock: what reads return matches a
// plain model of last-access times for both update types, and expired entries
// leave memory even for keys that are never touched again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom, seedFor } from '../connectors/random.ts';
import {
  ManualClock,
  StreamEnvironment,
  aggregatingState,
  listState,
  mapState,
  stateTtl,
  valueState,
  type AggregatingState,
  type KeyedProcessFunction,
  type ListState,
  type MapState,
  type StateTtlConfig,
  type ValueState,
} from '../index.ts';
import type { KeyedOperator } from '../operators/keyed-operator.ts';
import { KeyedStateBackend } from './keyed-state-backend.ts';

const TTL = 100;

interface Op {
  index: number;
  key: string;
  /** Processing time at which the op runs. */
  at: number;
  kind: 'write' | 'read';
  value: number;
}

interface Seen {
  index: number;
  value: number | undefined;
  list: number[];
  map: [string, number][];
}

function ops(count: number, seed: number): Op[] {
  const random = new SeededRandom();
  let at = 0;
  return Array.from({ length: count }, (_, index) => {
    const r = random.reset(seedFor(seed, index));
    at += r.int(0, 25);
    return { index, key: `k${r.int(0, 12)}`, at, kind: r.next() < 0.4 ? 'write' : 'read', value: r.int(0, 1000) };
  });
}

/** The reads of `input` under TTL, from last-access times alone (an entry is visible while now < last + TTL). */
function model(input: Op[], updateType: StateTtlConfig['updateType']): Seen[] {
  interface Stamped {
    value: number;
    last: number;
  }
  const values = new Map<string, Stamped>();
  const lists = new Map<string, Stamped[]>();
  const maps = new Map<string, Map<string, Stamped>>();
  const alive = (e: Stamped, now: number) => now < e.last + TTL;
  const touch = (e: Stamped, now: number) => {
    if (updateType === 'on-read-and-write') e.last = now;
    return e;
  };
  const seen: Seen[] = [];
  for (const op of input) {
    const now = op.at;
    if (op.kind === 'write') {
      values.set(op.key, { value: op.value, last: now });
      lists.set(op.key, [...(lists.get(op.key) ?? []), { value: op.value, last: now }]);
      const map = maps.get(op.key) ?? new Map<string, Stamped>();
      map.set(`m${op.value % 4}`, { value: op.value, last: now });
      maps.set(op.key, map);
      continue;
    }
    const value = values.get(op.key);
    const list = (lists.get(op.key) ?? []).filter((e) => alive(e, now));
    lists.set(op.key, list);
    const map = [...(maps.get(op.key) ?? new Map<string, Stamped>())].filter(([, e]) => alive(e, now));
    maps.set(op.key, new Map(map));
    seen.push({
      index: op.index,
      value: value && alive(value, now) ? touch(value, now).value : undefined,
      list: list.map((e) => touch(e, now).value),
      map: map.map(([k, e]): [string, number] => [k, touch(e, now).value]).sort(([a], [b]) => a.localeCompare(b)),
    });
  }
  return seen;
}

function ttlFunction(clock: ManualClock, ttl: StateTtlConfig): KeyedProcessFunction<string, Op, Seen> {
  const fn: KeyedProcessFunction<string, Op, Seen> & {
    value?: ValueState<number>;
    list?: ListState<number>;
    map?: MapState<string, number>;
  } = {
    open(ctx) {
      this.value = ctx.getState(valueState<number>('value', { ttl }));
      this.list = ctx.getListState(listState<number>('list', { ttl }));
      this.map = ctx.getMapState(mapState<string, number>('map', { ttl }));
    },
    processElement(op, _ctx, out) {
      // Each op carries the processing time it happens at; the job runs at parallelism 1, in op order.
      clock.advanceTo(op.at);
      if (op.kind === 'write') {
        this.value!.update(op.value);
        this.list!.add(op.value);
        this.map!.put(`m${op.value % 4}`, op.value);
        return;
      }
      out.collect({
        index: op.index,
        value: this.value!.value(),
        list: this.list!.get(),
        map: this.map!.entries().sort(([a], [b]) => a.localeCompare(b)),
      });
    },
  };
  return fn;
}

for (const updateType of ['on-create-and-write', 'on-read-and-write'] as const) {
  test(`with TTL ${updateType}, value, list and map state return exactly what a last-access model says is alive, never an expired entry`, async () => {
    const input = ops(3000, updateType.length);
    const clock = new ManualClock(0);
    const env = new StreamEnvironment().setProcessingTimeClock(clock);
    const out = env
      .fromCollection(input)
      .keyBy((op) => op.key)
      .process(ttlFunction(clock, stateTtl(TTL, { updateType })))
      .collect();
    await env.execute('ttl-model');
    const expected = model(input, updateType);
    assert.ok(
      expected.some((s) => s.value === undefined) && expected.some((s) => s.value !== undefined),
      'the input both hits and misses',
    );
    assert.deepEqual(out.values, expected);
  });
}

test('on-read-and-write keeps a value alive as long as it is read within the TTL; on-create-and-write does not', async () => {
  const results: Record<string, (number | undefined)[]> = {};
  for (const updateType of ['on-read-and-write', 'on-create-and-write'] as const) {
    const clock = new ManualClock(0);
    const env = new StreamEnvironment().setProcessingTimeClock(clock);
    // One write at 0, then reads every 60 ms (each within the TTL of the previous access) up to 600.
    const input: Op[] = [{ index: 0, key: 'a', at: 0, kind: 'write', value: 7 }];
    for (let i = 1; i <= 10; i++) input.push({ index: i, key: 'a', at: i * 60, kind: 'read', value: 0 });
    const out = env
      .fromCollection(input)
      .keyBy((op) => op.key)
      .process(ttlFunction(clock, stateTtl(TTL, { updateType })))
      .collect();
    await env.execute('ttl-refresh');
    results[updateType] = out.values.map((s) => s.value);
  }
  assert.deepEqual(results['on-read-and-write'], Array<number>(10).fill(7));
  assert.deepEqual(results['on-create-and-write'], [7, ...Array<undefined>(9).fill(undefined)]);
});

test('in a job, expired entries of keys never read again leave memory while another key keeps being accessed', async () => {
  const clock = new ManualClock(0);
  const env = new StreamEnvironment().setProcessingTimeClock(clock);
  const input: Op[] = [];
  for (let i = 0; i < 500; i++) input.push({ index: i, key: `cold-${i}`, at: 0, kind: 'write', value: i });
  // Long after the TTL, only one key is written, 300 times.
  for (let i = 0; i < 300; i++) input.push({ index: 500 + i, key: 'hot', at: 10 * TTL, kind: 'write', value: i });
  env
    .fromCollection(input)
    .keyBy((op) => op.key)
    .process(ttlFunction(clock, stateTtl(TTL)))
    .uid('ttl-state')
    .collect();
  const result = await env.execute('ttl-cleanup');
  const [operator] = result.operators.get('ttl-state') as KeyedOperator[];
  assert.deepEqual(operator!.stateEntryCounts(), { value: 1, list: 1, map: 1 });
});

test('incremental cleanup removes expired list, map and aggregating entries of idle keys when other keys are only read', () => {
  let now = 0;
  const backend = new KeyedStateBackend({
    keyGroupRange: { start: 0, end: 127 },
    maxParallelism: 128,
    now: () => now,
  });
  const ttl = stateTtl(TTL, { cleanupEntriesPerAccess: 3 });
  const list = backend.getPartitionedState(listState<number>('list', { ttl })) as ListState<number>;
  const map = backend.getPartitionedState(mapState<string, number>('map', { ttl })) as MapState<string, number>;
  const sum = backend.getPartitionedState(
    aggregatingState<number, number, number>(
      'sum',
      { createAccumulator: () => 0, add: (v, a) => a + v, getResult: (a) => a, merge: (a, b) => a + b },
      { ttl },
    ),
  ) as AggregatingState<number, number>;
  for (let i = 0; i < 300; i++) {
    backend.setCurrentKey(i);
    list.add(i);
    map.put('x', i);
    sum.add(i);
  }
  now = 50;
  for (let i = 0; i < 100; i++) {
    backend.setCurrentKey(i); // keys 0..99 get a second, younger element and entry
    list.add(-i);
    map.put('y', -i);
  }
  assert.deepEqual(backend.entryCounts(), { list: 300, map: 300, sum: 300 });

  now = 120; // the entries written at 0 have expired, those written at 50 have not
  backend.setCurrentKey('reader');
  for (let i = 0; i < 400; i++) {
    list.get();
    map.get('x');
    sum.get();
  }
  assert.deepEqual(backend.entryCounts(), { list: 100, map: 100, sum: 0 }, 'only keys with live parts remain');
  backend.setCurrentKey(7);
  assert.deepEqual(list.get(), [-7]);
  assert.deepEqual(map.entries(), [['y', -7]]);
  assert.equal(sum.get(), undefined);
});
