// Late records on event-time windows: which records are late is decided by the
// watermark rule (no window of the record is open: end - 1 + allowed lateness <=
// watermark), computed independently in testing/window-model.ts; records within
// the lateness fire their windows again, later ones are dropped or side-output.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectionSource } from '../connectors/collection-source.ts';
import { OutputTag, SlidingEventTimeWindows, StreamEnvironment, TumblingEventTimeWindows } from '../index.ts';
import {
  countWindows,
  fixedWindowModel,
  jitteredEvents,
  punctuatedWatermarks,
  slidingWindows,
  tumblingWindows,
  type Event,
  type Firing,
} from '../testing/window-model.ts';

/** How many firings repeat a window that fired before: the late firings. */
const lateFirings = (firings: Firing[]) => firings.length - new Set(firings.map((f) => `${f.key}@${f.start}`)).size;

for (const parallelism of [1, 4]) {
  test(`sliding windows with allowed lateness fire on the watermark and again for each late record they accept, with the updated count (parallelism ${parallelism})`, async () => {
    const input = jitteredEvents({ count: 2000, keys: 5, step: 10, jitter: 400, seed: 23 });
    const model = { bound: 40, lateness: 100, windowsOf: slidingWindows(300, 100) };
    const want = fixedWindowModel(input, model);
    assert.ok(lateFirings(want.firings) > 0, 'some windows fire late');
    assert.ok(want.late.length > 0, 'some records are later than the lateness');
    const got = await countWindows(input, {
      parallelism,
      bound: 40,
      lateness: 100,
      assigner: SlidingEventTimeWindows.of(300, 100),
    });
    assert.deepEqual(got.firings, want.firings);
    assert.deepEqual(
      got.late.map((r) => r.value),
      want.late,
    );
  });
}

test('exactly the records past the allowed lateness go to the side output, each with its own timestamp', async () => {
  const input = jitteredEvents({ count: 4000, keys: 6, step: 5, jitter: 600, seed: 31 });
  const want = fixedWindowModel(input, { bound: 100, lateness: 250, windowsOf: tumblingWindows(400) });
  assert.ok(want.late.length > 0 && lateFirings(want.firings) > 0);
  const got = await countWindows(input, {
    parallelism: 3,
    bound: 100,
    lateness: 250,
    assigner: TumblingEventTimeWindows.of(400),
  });
  assert.deepEqual(
    got.late.map((r) => [r.value, r.timestamp]),
    want.late.map((e) => [e, e.ts]),
  );
  assert.deepEqual(got.firings, want.firings);
});

test('without a late-data side output, late records are dropped and the firings are the same as with one', async () => {
  const input = jitteredEvents({ count: 3000, keys: 4, step: 10, jitter: 300, seed: 2 });
  const options = { parallelism: 2, bound: 20, lateness: 50, assigner: TumblingEventTimeWindows.of(300) };
  const want = fixedWindowModel(input, { bound: 20, lateness: 50, windowsOf: tumblingWindows(300) });
  assert.ok(want.late.length > 0);
  const dropping = await countWindows(input, { ...options, dropLate: true });
  assert.deepEqual(dropping.late, []);
  assert.deepEqual(dropping.firings, want.firings);
  const sideOutput = await countWindows(input, options);
  assert.deepEqual(sideOutput.firings, want.firings);
});

test('a record within the allowed lateness fires its window again with the whole contents; one past it goes to the side output', async () => {
  // Watermark = highest timestamp - 1 after each record; window [0, 1000) closes at 999 + 600.
  const input: Event[] = [
    { key: 'a', ts: 100, seq: 0 },
    { key: 'a', ts: 1500, seq: 1 }, // watermark 1499: [0, 1000) fires with [0]
    { key: 'a', ts: 200, seq: 2 }, // late, within the lateness: [0, 1000) fires again with [0, 2]
    { key: 'a', ts: 1700, seq: 3 }, // watermark 1699 >= 1599: [0, 1000) is cleaned up
    { key: 'a', ts: 300, seq: 4 }, // past the lateness: side output
  ];
  const env = new StreamEnvironment();
  const lateTag = new OutputTag<Event>('late');
  const windows = env
    .fromSource(collectionSource(input), punctuatedWatermarks<Event>(0))
    .keyBy((e) => e.key)
    .window(TumblingEventTimeWindows.of(1000))
    .allowedLateness(600)
    .sideOutputLateData(lateTag)
    .process<string>({
      process(key, ctx, events, out) {
        out.collect(`${key} [${ctx.window.start}, ${ctx.window.end}) ${[...events].map((e) => e.seq).join(',')}`);
      },
    });
  const results = windows.collect();
  const late = windows.getSideOutput(lateTag).collect();
  await env.execute('allowed-lateness');
  assert.deepEqual(
    results.records.map((r) => [r.value, r.timestamp]),
    [
      ['a [0, 1000) 0', 999],
      ['a [0, 1000) 0,2', 999],
      ['a [1000, 2000) 1,3', 1999],
    ],
  );
  assert.deepEqual(
    late.values.map((e) => e.seq),
    [4],
  );
});

test('a record late for some of its sliding windows is added to the ones still open and is not side-output', async () => {
  // Windows of 300 sliding by 100; after ts 450 the watermark is 449: [0, 300) and [100, 400) are gone.
  const input: Event[] = [
    { key: 'a', ts: 50, seq: 0 },
    { key: 'a', ts: 450, seq: 1 },
    { key: 'a', ts: 250, seq: 2 }, // in [0, 300), [100, 400) (closed) and [200, 500) (open)
  ];
  const got = await countWindows(input, { parallelism: 1, bound: 0, assigner: SlidingEventTimeWindows.of(300, 100) });
  assert.deepEqual(got.late, []);
  assert.deepEqual(
    got.firings.map((f) => [f.start, f.count]),
    [
      [-200, 1],
      [-100, 1],
      [0, 1],
      [200, 2],
      [300, 1],
      [400, 1],
    ],
  );
});
