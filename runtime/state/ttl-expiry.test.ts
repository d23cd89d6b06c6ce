// State TTL on the heap backend: expired values are never returned, reads
// refresh the clock only when configured, and expired entries leave memory
// even for keys that are never read again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listState, mapState, reducingState, stateTtl, valueState } from './descriptors.ts';
import { KeyedStateBackend } from './keyed-state-backend.ts';
import type { ListState, MapState, ReducingState, ValueState } from './state.ts';

function backend(clock: { now: number }) {
  return new KeyedStateBackend({
    keyGroupRange: { start: 0, end: 127 },
    maxParallelism: 128,
    now: () => clock.now,
  });
}

test('a value expires ttl ms after its last write and is never returned afterwards', () => {
  const clock = { now: 0 };
  const b = backend(clock);
  const state = b.getPartitionedState(valueState<string>('v', { ttl: stateTtl(100) })) as ValueState<string>;
  b.setCurrentKey('a');
  state.update('x');
  clock.now = 99;
  assert.equal(state.value(), 'x');
  clock.now = 100;
  assert.equal(state.value(), undefined);
  state.update('y');
  clock.now = 150;
  assert.equal(state.value(), 'y');
});

test('on-create-and-write does not extend the life of a value that is only read', () => {
  const clock = { now: 0 };
  const b = backend(clock);
  const state = b.getPartitionedState(valueState<number>('v', { ttl: stateTtl(100) })) as ValueState<number>;
  b.setCurrentKey('a');
  state.update(1);
  for (clock.now = 10; clock.now < 100; clock.now += 10) assert.equal(state.value(), 1);
  clock.now = 100;
  assert.equal(state.value(), undefined);
});

test('on-read-and-write extends the life of a value on every read', () => {
  const clock = { now: 0 };
  const b = backend(clock);
  const ttl = stateTtl(100, { updateType: 'on-read-and-write' });
  const state = b.getPartitionedState(valueState<number>('v', { ttl })) as ValueState<number>;
  b.setCurrentKey('a');
  state.update(1);
  for (clock.now = 50; clock.now <= 500; clock.now += 50) assert.equal(state.value(), 1);
  clock.now += 100;
  assert.equal(state.value(), undefined);
});

test('list elements and map entries expire one by one', () => {
  const clock = { now: 0 };
  const b = backend(clock);
  const list = b.getPartitionedState(listState<string>('l', { ttl: stateTtl(100) })) as ListState<string>;
  const map = b.getPartitionedState(mapState<string, number>('m', { ttl: stateTtl(100) })) as MapState<string, number>;
  b.setCurrentKey('a');
  list.add('early');
  map.put('early', 1);
  clock.now = 60;
  list.add('late');
  map.put('late', 2);
  clock.now = 120;
  assert.deepEqual(list.get(), ['late']);
  assert.deepEqual(map.entries(), [['late', 2]]);
  clock.now = 200;
  assert.deepEqual(list.get(), []);
  assert.equal(map.isEmpty(), true);
});

test('expired entries of keys never read again are removed from memory by incremental cleanup', () => {
  const clock = { now: 0 };
  const b = backend(clock);
  const state = b.getPartitionedState(valueState<number>('v', { ttl: stateTtl(100) })) as ValueState<number>;
  for (let i = 0; i < 1000; i++) {
    b.setCurrentKey(`old-${i}`);
    state.update(i);
  }
  assert.equal(b.entryCounts().v, 1000);
  clock.now = 1000; // every old entry has expired; none of these keys is read again
  for (let i = 0; i < 400; i++) {
    b.setCurrentKey(`new-${i % 10}`);
    state.update(i); // each access checks a few entries
  }
  assert.equal(b.entryCounts().v, 10, 'only the 10 live keys remain');
});

test('without TTL, values stay', () => {
  const clock = { now: 0 };
  const b = backend(clock);
  const state = b.getPartitionedState(valueState<number>('v')) as ValueState<number>;
  b.setCurrentKey(['tuple', 1]);
  state.update(5);
  clock.now = Number.MAX_SAFE_INTEGER;
  assert.equal(state.value(), 5);
});

test('merging window namespaces keeps TTL: list elements keep their own clocks, expired ones are dropped', () => {
  const clock = { now: 0 };
  const b = backend(clock);
  const descriptor = listState<string>('contents', { ttl: stateTtl(100) });
  const reduced = reducingState<number>('sum', (x, y) => x + y, { ttl: stateTtl(100) });
  const list = b.getPartitionedState(descriptor, true) as ListState<string>;
  const sum = b.getPartitionedState(reduced, true) as ReducingState<number>;
  b.setCurrentKey('k');
  b.setCurrentNamespace(1);
  list.add('old');
  sum.add(1);
  clock.now = 60;
  b.setCurrentNamespace(2);
  list.add('new');
  sum.add(2);
  clock.now = 120; // 'old' (written at 0) has expired, 'new' (at 60) has not
  b.mergeNamespaces(descriptor, 1, [1, 2]);
  b.mergeNamespaces(reduced, 1, [1, 2]);
  b.setCurrentNamespace(1);
  assert.deepEqual(list.get(), ['new']);
  assert.equal(sum.get(), 2, 'the expired part is not merged in');
  b.setCurrentNamespace(2);
  assert.deepEqual(list.get(), []);
  clock.now = 170; // 'new' expires 100 ms after its own write, not after the merge
  b.setCurrentNamespace(1);
  assert.deepEqual(list.get(), []);
});

test('a state name requested again with another TTL is refused naming both', () => {
  const b = backend({ now: 0 });
  b.getPartitionedState(valueState<string>('seen', { ttl: stateTtl(100) }));
  assert.throws(
    () => b.getPartitionedState(valueState<string>('seen', { ttl: stateTtl(500) }), true),
    /state 'seen' is registered with TTL 100 ms \(on-create-and-write\) and requested with TTL 500 ms \(on-create-and-write\)/,
  );
  assert.throws(() => b.getPartitionedState(valueState<string>('seen')), /requested with no TTL/);
});
