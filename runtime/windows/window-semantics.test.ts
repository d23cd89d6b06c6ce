// Event-time window semantics, proved against an independent simulation over
// the same input: out-of-order records, late records, allowed lateness with
// late firings, session merges, and identical results at parallelism 1 and 4.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  EventTimeSessionWindows,
  OutputTag,
  SlidingEventTimeWindows,
  StreamEnvironment,
  TumblingEventTimeWindows,
  forGenerator,
  type ProcessWindowFunction,
  type TimeWindow,
  type WatermarkStrategy,
  type WindowAssigner,
} from '../index.ts';
import { SeededRandom } from '../connectors/random.ts';
import { heldSource } from '../testing/held-source.ts';
import { ManualClock } from '../time/processing-time.ts';

interface Event {
  key: string;
  ts: number;
  seq: number;
}

/** Events with increasing base time and seeded jitter: out of order by up to `jitter` ms. */
function events(count: number, keys: number, jitter: number, seed: number): Event[] {
  const random = new SeededRandom().reset(seed);
  return Array.from({ length: count }, (_, seq) => ({
    key: `k${random.int(0, keys)}`,
    ts: seq * 10 + random.int(0, jitter),
    seq,
  }));
}

/** A punctuated strategy: after every record, watermark = max timestamp - bound - 1 (deterministic). */
function punctuated(bound: number): WatermarkStrategy<Event> {
  return forGenerator<Event>(() => {
    let max = Number.MIN_SAFE_INTEGER;
    return {
      onEvent(_e, ts, out) {
        max = Math.max(max, ts);
        out.emitWatermark(max - bound - 1);
      },
      onPeriodicEmit() {},
    };
  }).withTimestampAssigner((e) => e.ts);
}

/** The watermark each record meets: the highest watermark emitted after the records before it. */
function watermarksBefore(input: Event[], bound: number): number[] {
  let max = Number.MIN_SAFE_INTEGER;
  let watermark = Number.MIN_SAFE_INTEGER;
  return input.map((e) => {
    const before = watermark;
    max = Math.max(max, e.ts);
    watermark = Math.max(watermark, max - bound - 1);
    return before;
  });
}

interface Firing {
  key: string;
  start: number;
  end: number;
  count: number;
}

const byFiring = (a: Firing, b: Firing) => a.key.localeCompare(b.key) || a.start - b.start || a.count - b.count;

/**
 * The independent model of fixed-size windows with allowed lateness: a window fires when the watermark first
 * reaches its end - 1 (or at end of input), and again for each late record within the lateness.
 */
function expectedFirings(
  input: Event[],
  bound: number,
  windowsOf: (ts: number) => [number, number][],
  lateness: number,
) {
  const watermarks = watermarksBefore(input, bound);
  const counts = new Map<string, Firing>();
  const fired = new Set<string>();
  const firings: Firing[] = [];
  const late: number[] = [];
  const fireDue = (watermark: number) => {
    for (const [id, w] of counts) {
      if (!fired.has(id) && w.end - 1 <= watermark) {
        fired.add(id);
        firings.push({ ...w });
      }
    }
  };
  input.forEach((e, i) => {
    const watermark = watermarks[i]!;
    fireDue(watermark);
    let accepted = false;
    for (const [start, end] of windowsOf(e.ts)) {
      if (end - 1 + lateness <= watermark) continue; // window already cleaned up
      accepted = true;
      const id = `${e.key}@${start}`;
      const w = counts.get(id) ?? { key: e.key, start, end, count: 0 };
      w.count++;
      counts.set(id, w);
      if (fired.has(id)) firings.push({ ...w }); // late firing with the updated contents
    }
    if (!accepted) late.push(e.seq);
  });
  fireDue(Number.MAX_SAFE_INTEGER);
  return { firings: firings.sort(byFiring), late };
}

const describeWindow: ProcessWindowFunction<number, Firing, string, TimeWindow> = {
  process(key, ctx, counts, out) {
    for (const count of counts) out.collect({ key, start: ctx.window.start, end: ctx.window.end, count });
  },
};

async function runWindows(
  input: Event[],
  options: { parallelism: number; bound: number; assigner: WindowAssigner; lateness: number },
): Promise<{ firings: Firing[]; late: number[]; timestamps: number[] }> {
  const env = new StreamEnvironment().setParallelism(options.parallelism);
  const lateTag = new OutputTag<Event>('late');
  const windowed = env
    .fromSource((await import('../connectors/collection-source.ts')).collectionSource(input), punctuated(options.bound))
    .setParallelism(1)
    .keyBy((e) => e.key)
    .window(options.assigner)
    .allowedLateness(options.lateness)
    .sideOutputLateData(lateTag)
    .aggregate(
      { createAccumulator: () => 0, add: (_e, n) => n + 1, getResult: (n) => n, merge: (a, b) => a + b },
      describeWindow,
    );
  const results = windowed.collect();
  const late = windowed.getSideOutput(lateTag).collect();
  await env.execute('window-semantics');
  return {
    firings: results.values.sort(byFiring),
    late: late.values.map((e) => e.seq).sort((a, b) => a - b),
    timestamps: results.records.map((r) => r.timestamp!),
  };
}

const tumbling =
  (size: number) =>
  (ts: number): [number, number][] => {
    const start = ts - (((ts % size) + size) % size);
    return [[start, start + size]];
  };

const sliding =
  (size: number, slide: number) =>
  (ts: number): [number, number][] => {
    const windows: [number, number][] = [];
    for (let start = ts - (((ts % slide) + slide) % slide); start > ts - size; start -= slide)
      windows.push([start, start + size]);
    return windows;
  };

for (const parallelism of [1, 4]) {
  test(`tumbling event-time windows over out-of-order input count exactly what an independent model expects (parallelism ${parallelism})`, async () => {
    const input = events(3000, 7, 120, 11);
    const got = await runWindows(input, {
      parallelism,
      bound: 50,
      assigner: TumblingEventTimeWindows.of(500),
      lateness: 0,
    });
    const want = expectedFirings(input, 50, tumbling(500), 0);
    assert.ok(want.late.length > 0, 'the input has late records');
    assert.deepEqual(got.late, want.late);
    assert.deepEqual(got.firings, want.firings);
  });

  test(`sliding event-time windows with allowed lateness fire once on time and again per late record (parallelism ${parallelism})`, async () => {
    const input = events(2000, 5, 200, 23);
    const got = await runWindows(input, {
      parallelism,
      bound: 40,
      assigner: SlidingEventTimeWindows.of(600, 200),
      lateness: 100,
    });
    const want = expectedFirings(input, 40, sliding(600, 200), 100);
    assert.ok(want.firings.length > got.firings.filter((f) => f.count === 0).length);
    assert.deepEqual(got.late, want.late);
    assert.deepEqual(got.firings, want.firings);
  });
}

test('a window without late records fires exactly once, and results carry the window end - 1 as timestamp', async () => {
  const input = events(1000, 3, 30, 5);
  const got = await runWindows(input, {
    parallelism: 2,
    bound: 100,
    assigner: TumblingEventTimeWindows.of(250),
    lateness: 0,
  });
  const seen = new Set<string>();
  for (const f of got.firings) {
    const id = `${f.key}@${f.start}`;
    assert.ok(!seen.has(id), `window ${id} fired twice`);
    seen.add(id);
  }
  assert.deepEqual(got.late, []);
  assert.equal(
    got.firings.reduce((n, f) => n + f.count, 0),
    input.length,
  );
  assert.ok(got.timestamps.every((ts) => (ts + 1) % 250 === 0));
});

test('session windows merge records closer than the gap, per key, as an independent grouping does (parallelism 1 and 4 agree)', async () => {
  const random = new SeededRandom().reset(99);
  // Bursts of activity per key with pauses: gaps drawn so some bridge sessions and some do not.
  const input: Event[] = [];
  let ts = 0;
  for (let seq = 0; seq < 1500; seq++) {
    ts += random.next() < 0.1 ? random.int(300, 900) : random.int(0, 60);
    input.push({ key: `k${random.int(0, 4)}`, ts: ts + random.int(0, 40), seq });
  }
  const gap = 250;
  const want: Firing[] = [];
  for (const key of new Set(input.map((e) => e.key))) {
    const times = input
      .filter((e) => e.key === key)
      .map((e) => e.ts)
      .sort((a, b) => a - b);
    let session = { key, start: times[0]!, end: times[0]! + gap, count: 1 };
    for (const t of times.slice(1)) {
      if (t <= session.end) {
        session.end = Math.max(session.end, t + gap);
        session.count++;
      } else {
        want.push(session);
        session = { key, start: t, end: t + gap, count: 1 };
      }
    }
    want.push(session);
  }
  want.sort(byFiring);
  // The bound covers the jitter, so nothing is late and sessions depend on timestamps only.
  for (const parallelism of [1, 4]) {
    const got = await runWindows(input, {
      parallelism,
      bound: 100,
      assigner: EventTimeSessionWindows.withGap(gap),
      lateness: 0,
    });
    assert.deepEqual(got.late, []);
    assert.deepEqual(got.firings, want, `parallelism ${parallelism}`);
  }
});

test('a record that arrives late and bridges two sessions merges them into one', async () => {
  const input: Event[] = [
    { key: 'a', ts: 1000, seq: 0 },
    { key: 'a', ts: 1400, seq: 1 }, // a second session: 1400 > 1000 + gap
    { key: 'a', ts: 1200, seq: 2 }, // out of order, within the bound: bridges [1000,1300) and [1400,1700)
  ];
  const got = await runWindows(input, {
    parallelism: 1,
    bound: 500,
    assigner: EventTimeSessionWindows.withGap(300),
    lateness: 0,
  });
  assert.deepEqual(got.firings, [{ key: 'a', start: 1000, end: 1700, count: 3 }]);
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
