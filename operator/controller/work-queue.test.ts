// The work queue: one entry per key however often it is added, never two
// workers on one key, a key changed while in work comes back once after it,
// failures back off exponentially up to a cap and success resets them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { WorkQueue } from './work-queue.ts';
import { backoffDelayMs } from './backoff.ts';
import { waitUntil } from '../../runtime/testing/wait-until.ts';

test('a key added many times while it waits is handed out once', async () => {
  const queue = new WorkQueue();
  for (let i = 0; i < 5; i++) queue.add('ns/a');
  queue.add('ns/b');
  assert.equal(queue.length, 2);
  assert.equal(await queue.get(), 'ns/a');
  assert.equal(await queue.get(), 'ns/b');
  assert.equal(queue.length, 0);
  queue.shutDown();
});

test('a key is never processed by two workers at once; a change meanwhile brings it back once after', async () => {
  const queue = new WorkQueue();
  const active = new Set<string>();
  const processed: string[] = [];
  let overlaps = 0;
  const worker = async () => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      if (active.has(key)) overlaps += 1;
      active.add(key);
      processed.push(key);
      await delay(5);
      active.delete(key);
      queue.done(key);
    }
  };
  const workers = [worker(), worker(), worker()];
  queue.add('ns/a');
  await waitUntil(() => active.has('ns/a'), 'ns/a is in work');
  // Three changes while it is in work: one more pass, after the first ends.
  queue.add('ns/a');
  queue.add('ns/a');
  queue.add('ns/a');
  queue.add('ns/b');
  await waitUntil(() => processed.length === 3 && active.size === 0, 'three passes done', 5000);
  assert.deepEqual(processed.filter((k) => k === 'ns/a').length, 2);
  assert.equal(overlaps, 0);
  queue.shutDown();
  await Promise.all(workers);
});

test('backoff doubles from the base per failure and stops at the cap; jitter only shortens', () => {
  const steady = () => 0;
  const delays = [1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(n, { baseMs: 100, maxMs: 1000 }, steady));
  assert.deepEqual(delays, [100, 200, 400, 800, 1000, 1000]);
  assert.equal(backoffDelayMs(60, { baseMs: 100, maxMs: 1000 }, steady), 1000, 'no overflow after many failures');
  const jittered = backoffDelayMs(3, { baseMs: 100, maxMs: 1000 }, () => 0.999);
  assert.ok(jittered <= 400 && jittered >= 360, `${jittered}`);
});

test('a failing key comes back after growing delays; forget() starts it again from the base', async () => {
  const queue = new WorkQueue({ baseMs: 40, maxMs: 160 });
  const waited: number[] = [];
  for (let failure = 1; failure <= 4; failure++) {
    const before = Date.now();
    queue.addRateLimited('ns/a');
    const key = await queue.get();
    waited.push(Date.now() - before);
    queue.done(key!);
  }
  assert.equal(queue.failuresOf('ns/a'), 4);
  // base 40 ms doubling, capped at 160 (jitter takes at most 10 % off; timers fire late, never early)
  const expected = [40, 80, 160, 160];
  waited.forEach((ms, i) =>
    assert.ok(ms >= expected[i]! * 0.9 - 2, `retry ${i + 1} after ${ms} ms, expected ≥ ${expected[i]}`),
  );
  assert.ok(waited[2]! > waited[0]!, `delays grow: ${waited.join(', ')}`);
  queue.forget('ns/a');
  assert.equal(queue.failuresOf('ns/a'), 0);
  const before = Date.now();
  queue.addRateLimited('ns/a');
  await queue.get();
  assert.ok(Date.now() - before < 140, 'back to the base delay after forget');
  queue.shutDown();
});

test('addAfter keeps the earliest pending time of a key', async () => {
  const queue = new WorkQueue();
  queue.addAfter('ns/a', 10_000);
  queue.addAfter('ns/a', 20);
  const before = Date.now();
  assert.equal(await queue.get(), 'ns/a');
  assert.ok(Date.now() - before < 5_000);
  queue.done('ns/a');
  queue.addAfter('ns/a', 20);
  queue.addAfter('ns/a', 10_000); // later: ignored
  assert.equal(await queue.get(), 'ns/a');
  queue.shutDown();
});

test('shutDown releases waiting workers and drops pending delays, so nothing keeps the process alive', async () => {
  const queue = new WorkQueue();
  const waiting = queue.get();
  queue.addAfter('ns/a', 60_000);
  queue.shutDown();
  assert.equal(await waiting, undefined);
  assert.equal(await queue.get(), undefined);
  queue.add('ns/b');
  assert.equal(queue.length, 0, 'nothing is queued after shutdown');
});
