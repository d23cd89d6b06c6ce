// Tumbling and sliding event-time windows, proved against the independent
// model in testing/window-model.ts: what each window holds, when it fires (on
// the watermark crossing, exactly once), at any parallelism, to the end of input.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectionSource } from '../connectors/collection-source.ts';
import { SeededRandom, seedFor } from '../connectors/random.ts';
import type { BrookError } from '../index.ts';
import {
  ManualClock,
  OutputTag,
  SlidingEventTimeWindows,
  StreamEnvironment,
  TumblingEventTimeWindows,
  UserFunctionError,
  forBoundedOutOfOrderness,
  forGenerator,
} from '../index.ts';
import { heldSource } from '../testing/held-source.ts';
import {
  countWindows,
  fixedWindowModel,
  jitteredEvents,
  punctuatedWatermarks,
  slidingWindows,
  tumblingWindows,
  type Event,
} from '../testing/window-model.ts';

for (const parallelism of [1, 4]) {
  test(`tumbling windows over out-of-order input fire per key and window exactly as the watermark model says (parallelism ${parallelism})`, async () => {
    const input = jitteredEvents({ count: 3000, keys: 7, step: 10, jitter: 120, seed: 11 });
    const want = fixedWindowModel(input, { bound: 50, lateness: 0, windowsOf: tumblingWindows(500) });
    assert.ok(want.late.length > 0, 'the input has late records');
    const got = await countWindows(input, { parallelism, bound: 50, assigner: TumblingEventTimeWindows.of(500) });
    assert.deepEqual(got.firings, want.firings);
    assert.deepEqual(
      got.late.map((r) => r.value),
      want.late,
    );
  });

  test(`sliding windows hold each record in every window covering it and fire as the watermark model says (parallelism ${parallelism})`, async () => {
    const input = jitteredEvents({ count: 2000, keys: 5, step: 10, jitter: 400, seed: 23 });
    const want = fixedWindowModel(input, { bound: 40, lateness: 0, windowsOf: slidingWindows(300, 100) });
    assert.ok(want.late.length > 0, 'the input has late records');
    const got = await countWindows(input, { parallelism, bound: 40, assigner: SlidingEventTimeWindows.of(300, 100) });
    assert.deepEqual(got.firings, want.firings);
    assert.deepEqual(
      got.late.map((r) => r.value),
      want.late,
    );
  });
}

test('sliding windows whose size is not a multiple of the slide, with an offset, match the model', async () => {
  const input = jitteredEvents({ count: 1500, keys: 3, step: 7, jitter: 30, seed: 4 });
  const offset = 30;
  const shifted = (ts: number) =>
    slidingWindows(250, 100)(ts - offset).map(([s, e]): [number, number] => [s + offset, e + offset]);
  const want = fixedWindowModel(input, { bound: 30, lateness: 0, windowsOf: shifted });
  const got = await countWindows(input, {
    parallelism: 2,
    bound: 30,
    assigner: SlidingEventTimeWindows.of(250, 100, offset),
  });
  assert.deepEqual(want.late, []);
  assert.deepEqual(got.firings, want.firings);
});

test('watermarks assigned mid-stream with assignTimestampsAndWatermarks fire windows as the model says', async () => {
  const input = jitteredEvents({ count: 2000, keys: 5, step: 10, jitter: 120, seed: 12 });
  const want = fixedWindowModel(input, { bound: 50, lateness: 0, windowsOf: tumblingWindows(300) });
  const env = new StreamEnvironment().setParallelism(4);
  const lateTag = new OutputTag<Event>('late');
  const counts = env
    .fromCollection(input)
    .assignTimestampsAndWatermarks(punctuatedWatermarks<Event>(50))
    .setParallelism(1)
    .keyBy((e) => e.key)
    .window(TumblingEventTimeWindows.of(300))
    .sideOutputLateData(lateTag)
    .aggregate<number, number, string>(
      { createAccumulator: () => 0, add: (_e, n) => n + 1, getResult: (n) => n, merge: (a, b) => a + b },
      {
        process(key, ctx, count, out) {
          out.collect(`${key}@${ctx.window.start}:${[...count][0]}@${ctx.currentWatermark()}`);
        },
      },
    );
  const results = counts.collect();
  const late = counts.getSideOutput(lateTag).collect();
  await env.execute('mid-stream-watermarks');
  assert.ok(want.late.length > 0);
  assert.deepEqual(
    results.values.sort(),
    want.firings.map((f) => `${f.key}@${f.start}:${f.count}@${f.watermark}`).sort(),
  );
  assert.deepEqual(
    late.values.map((e) => e.seq).sort((a, b) => a - b),
    want.late.map((e) => e.seq),
  );
});

test('without late records every window fires exactly once, on the first watermark at or past its end - 1, stamped end - 1', async () => {
  const input = jitteredEvents({ count: 2000, keys: 4, step: 5, jitter: 40, seed: 5 });
  const got = await countWindows(input, { parallelism: 3, bound: 40, assigner: TumblingEventTimeWindows.of(250) });
  const firingsPerWindow = new Map<string, number>();
  for (const f of got.firings)
    firingsPerWindow.set(`${f.key}@${f.start}`, (firingsPerWindow.get(`${f.key}@${f.start}`) ?? 0) + 1);
  const windowsWithRecords = new Set(input.map((e) => `${e.key}@${Math.floor(e.ts / 250) * 250}`));
  assert.deepEqual([...firingsPerWindow.keys()].sort(), [...windowsWithRecords].sort());
  assert.ok(
    [...firingsPerWindow.values()].every((n) => n === 1),
    'no window fires twice',
  );
  assert.equal(
    got.firings.reduce((n, f) => n + f.count, 0),
    input.length,
  );
  assert.deepEqual(
    got.records.map((r) => r.timestamp),
    got.records.map((r) => r.value.end - 1),
  );
  const want = fixedWindowModel(input, { bound: 40, lateness: 0, windowsOf: tumblingWindows(250) });
  assert.deepEqual(
    got.firings.map((f) => f.watermark),
    want.firings.map((f) => f.watermark),
    'each window fires at the watermark that crosses its end',
  );
});

interface Reading {
  sensor: number;
  at: number;
}

const reading = (index: number, random: SeededRandom): Reading => ({
  sensor: random.int(0, 20),
  at: index * 3 + random.int(0, 50),
});

/** Counts per sensor and 1 s window from the data generator, with periodic bounded-out-of-orderness watermarks. */
async function generatorCounts(parallelism: number, count: number) {
  const env = new StreamEnvironment().setParallelism(parallelism).setAutoWatermarkInterval(5);
  const results = env
    .fromGenerator(
      { count, seed: 3, generate: reading },
      forBoundedOutOfOrderness<Reading>(50).withTimestampAssigner((r) => r.at),
    )
    .keyBy((r) => r.sensor)
    .window(TumblingEventTimeWindows.of(1000))
    .aggregate<number, number, string>(
      { createAccumulator: () => 0, add: (_r, n) => n + 1, getResult: (n) => n, merge: (a, b) => a + b },
      {
        process(sensor, ctx, counts, out) {
          for (const n of counts) out.collect(`${sensor}@${ctx.window.start}:${n}`);
        },
      },
    )
    .collect();
  await env.execute('generator-windows');
  return results.values.sort();
}

test('a bounded job fires every window at the end of input, and parallelism 1 and 4 give the same results', async () => {
  const count = 20_000;
  // Each generator split is out of order by at most 50 ms, the bound: no record is late.
  const expected = new Map<string, number>();
  // The windows holding the latest records close only on the final watermark, at end of input.
  const random = new SeededRandom();
  for (let i = 0; i < count; i++) {
    const r = reading(i, random.reset(seedFor(3, i)));
    const id = `${r.sensor}@${Math.floor(r.at / 1000) * 1000}`;
    expected.set(id, (expected.get(id) ?? 0) + 1);
  }
  const want = [...expected].map(([id, n]) => `${id}:${n}`).sort();
  assert.deepEqual(await generatorCounts(1, count), want);
  assert.deepEqual(await generatorCounts(4, count), want);
});

test('window results are on time downstream: 100 ms counts summed in 1 s windows equal the 1 s counts', async () => {
  const input = jitteredEvents({ count: 3000, keys: 3, step: 4, jitter: 30, seed: 8 });
  const env = new StreamEnvironment().setParallelism(2);
  const lateAtSecondLevel = new OutputTag<[string, number]>('late-counts');
  const perSecond = env
    .fromSource(collectionSource(input), punctuatedWatermarks<Event>(30))
    .setParallelism(1)
    .keyBy((e) => e.key)
    .window(TumblingEventTimeWindows.of(100))
    .aggregate<number, number, [string, number]>(
      { createAccumulator: () => 0, add: (_e, n) => n + 1, getResult: (n) => n, merge: (a, b) => a + b },
      {
        process(key, _ctx, counts, out) {
          for (const n of counts) out.collect([key, n]);
        },
      },
    )
    .keyBy(([key]) => key)
    .window(TumblingEventTimeWindows.of(1000))
    .sideOutputLateData(lateAtSecondLevel)
    .reduce<string>(([key, a], [, b]) => [key, a + b], {
      process(key, ctx, sums, out) {
        for (const [, n] of sums) out.collect(`${key}@${ctx.window.start}:${n}`);
      },
    });
  const results = perSecond.collect();
  const late = perSecond.getSideOutput(lateAtSecondLevel).collect();
  await env.execute('cascaded-windows');
  const want = fixedWindowModel(input, { bound: 30, lateness: 0, windowsOf: tumblingWindows(1000) });
  assert.deepEqual(want.late, []);
  assert.deepEqual(late.values, [], 'no first-level result is late for the second level');
  assert.deepEqual(results.values.sort(), want.firings.map((f) => `${f.key}@${f.start}:${f.count}`).sort());
});

test('event-time windows do not fire on processing time: nothing is emitted until the watermark passes', async () => {
  const clock = new ManualClock(0);
  const env = new StreamEnvironment().setProcessingTimeClock(clock);
  const held = heldSource<Event>((output) => {
    output.collect({ key: 'a', ts: 10, seq: 0 });
    output.collect({ key: 'a', ts: 20, seq: 1 });
    return false;
  });
  const results = env
    .fromSource(
      held.source,
      forGenerator<Event>(() => ({ onEvent() {}, onPeriodicEmit() {} })).withTimestampAssigner((e) => e.ts),
    )
    .keyBy((e) => e.key)
    .window(TumblingEventTimeWindows.of(100))
    .count()
    .collect();
  const job = env.execute('no-processing-time-firing');
  for (let t = 1; t <= 20; t++) {
    clock.advanceTo(t * 1_000_000); // processing time runs far past the window
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.deepEqual(results.values, [], 'nothing fires while the watermark stays behind');
  held.release();
  await job;
  assert.deepEqual(results.values, [2], 'the window fires on the final watermark');
});

test('event-time windows over records without timestamps fail the job, naming the missing watermark strategy', async () => {
  const env = new StreamEnvironment();
  env
    .fromCollection([{ key: 'a' }, { key: 'b' }])
    .keyBy((e) => e.key)
    .window(TumblingEventTimeWindows.of(1000))
    .count()
    .collect();
  await assert.rejects(env.execute('no-timestamps'), (error: Error) => {
    assert.match(error.message, /TumblingEventTimeWindows\(1000\) needs event timestamps.*WatermarkStrategy/);
    assert.ok(error.cause instanceof UserFunctionError);
    assert.equal((error.cause.cause as BrookError).code, 'BROOK_MISSING_TIMESTAMP');
    return true;
  });
});
