// Event-time session windows, proved against independent computations: a
// grouping of each key's sorted timestamps when nothing is late, and a
// record-by-record simulation of sessions, watermarks and lateness otherwise.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectionSource } from '../connectors/collection-source.ts';
import { SeededRandom } from '../connectors/random.ts';
import { EventTimeSessionWindows, StreamEnvironment, type AggregateFunction } from '../index.ts';
import {
  byWindow,
  countWindows,
  punctuatedWatermarks,
  watermarksBefore,
  type Event,
  type Firing,
} from '../testing/window-model.ts';

/** Bursts of activity with pauses between them, keys interleaved, times jittered by up to `jitter`. */
function sessionEvents(count: number, keys: number, jitter: number, seed: number): Event[] {
  const random = new SeededRandom().reset(seed);
  let base = 0;
  return Array.from({ length: count }, (_, seq) => {
    base += random.next() < 0.08 ? random.int(200, 900) : random.int(0, 40);
    return { key: `k${random.int(0, keys)}`, ts: base + random.int(0, jitter + 1), seq };
  });
}

/** Sessions when nothing is late: each key's timestamps in order, split where the next one is past the session's end. */
function groupSessions(input: Event[], gap: number): Omit<Firing, 'watermark'>[] {
  const sessions: Omit<Firing, 'watermark'>[] = [];
  for (const key of new Set(input.map((e) => e.key))) {
    const times = input
      .filter((e) => e.key === key)
      .map((e) => e.ts)
      .sort((a, b) => a - b);
    let session = { key, start: times[0]!, end: times[0]! + gap, count: 0 };
    for (const t of times) {
      // Flink's windows [t, t + gap) merge when they touch: a record at exactly the end joins.
      if (t > session.end) {
        sessions.push(session);
        session = { key, start: t, end: t + gap, count: 0 };
      }
      session.end = Math.max(session.end, t + gap);
      session.count++;
    }
    sessions.push(session);
  }
  return sessions;
}

/**
 * Session windows simulated record by record: a record opens [ts, ts + gap),
 * which absorbs every open session of its key it touches; the result is late
 * (and the record with it) if end - 1 + lateness <= watermark. A session fires
 * when the watermark first reaches its end - 1, again for every record it
 * accepts after that, and is gone at end - 1 + lateness.
 */
function sessionModel(input: Event[], options: { bound: number; gap: number; lateness: number }) {
  const watermarks = watermarksBefore(
    input.map((e) => e.ts),
    options.bound,
  );
  const open = new Map<string, { start: number; end: number; count: number; fired: boolean }[]>();
  const firings: Firing[] = [];
  const late: Event[] = [];
  const advance = (watermark: number) => {
    for (const [key, sessions] of open) {
      for (const s of sessions) {
        if (s.fired || s.end - 1 > watermark) continue;
        s.fired = true;
        firings.push({ key, start: s.start, end: s.end, count: s.count, watermark });
      }
      open.set(
        key,
        sessions.filter((s) => s.end - 1 + options.lateness > watermark),
      );
    }
  };
  input.forEach((e, i) => {
    const watermark = watermarks[i]!;
    advance(watermark);
    const sessions = open.get(e.key) ?? [];
    const merged = { start: e.ts, end: e.ts + options.gap, count: 1, fired: false };
    const touching = sessions.filter((s) => s.start <= merged.end && merged.start <= s.end);
    for (const s of touching) {
      merged.start = Math.min(merged.start, s.start);
      merged.end = Math.max(merged.end, s.end);
      merged.count += s.count;
    }
    if (merged.end - 1 + options.lateness <= watermark) {
      late.push(e);
      return;
    }
    open.set(e.key, [...sessions.filter((s) => !touching.includes(s)), merged]);
    if (merged.end - 1 <= watermark) {
      merged.fired = true;
      firings.push({ key: e.key, start: merged.start, end: merged.end, count: merged.count, watermark });
    }
  });
  advance(watermarks.at(-1)!);
  advance(Number.MAX_SAFE_INTEGER);
  return { firings: firings.sort(byWindow), late };
}

test('sessions per key equal an independent grouping of sorted timestamps when nothing is late (parallelism 1 and 4 agree)', async () => {
  const input = sessionEvents(1500, 4, 40, 99);
  const gap = 250;
  const want = groupSessions(input, gap).sort((a, b) => byWindow({ ...a, watermark: 0 }, { ...b, watermark: 0 }));
  assert.ok(want.length > 4 * 10, 'several sessions per key');
  // The bound covers the jitter, so nothing is late and sessions depend on timestamps only.
  for (const parallelism of [1, 4]) {
    const got = await countWindows(input, { parallelism, bound: 40, assigner: EventTimeSessionWindows.withGap(gap) });
    assert.deepEqual(got.late, []);
    assert.deepEqual(
      got.firings.map(({ watermark: _, ...session }) => session),
      want,
      `parallelism ${parallelism}`,
    );
  }
});

for (const parallelism of [1, 4]) {
  test(`sessions over input later than the watermark bound merge, fire and drop records exactly as the session model says (parallelism ${parallelism})`, async () => {
    const input = sessionEvents(3000, 5, 300, 7);
    const want = sessionModel(input, { bound: 60, gap: 150, lateness: 0 });
    assert.ok(want.late.length > 0, 'some records are late');
    const got = await countWindows(input, { parallelism, bound: 60, assigner: EventTimeSessionWindows.withGap(150) });
    assert.deepEqual(got.firings, want.firings);
    assert.deepEqual(
      got.late.map((r) => r.value),
      want.late,
    );
  });
}

test('with allowed lateness, late records reopen fired sessions and merge them with their neighbours, as the session model says', async () => {
  const input = sessionEvents(3000, 3, 400, 17);
  const want = sessionModel(input, { bound: 50, gap: 120, lateness: 200 });
  const refired = want.firings.length - new Set(want.firings.map((f) => `${f.key}@${f.start}`)).size;
  assert.ok(refired > 0 && want.late.length > 0, 'some sessions fire late and some records are past the lateness');
  const got = await countWindows(input, {
    parallelism: 2,
    bound: 50,
    lateness: 200,
    assigner: EventTimeSessionWindows.withGap(120),
  });
  assert.deepEqual(got.firings, want.firings);
  assert.deepEqual(
    got.late.map((r) => r.value),
    want.late,
  );
});

/** Runs `input` into sessions of `gap` and reports each firing as `key [start, end) seq,seq,...`. */
async function sessionContents(input: Event[], gap: number, bound: number, lateness = 0): Promise<string[]> {
  const env = new StreamEnvironment();
  const results = env
    .fromSource(collectionSource(input), punctuatedWatermarks<Event>(bound))
    .keyBy((e) => e.key)
    .window(EventTimeSessionWindows.withGap(gap))
    .allowedLateness(lateness)
    .process<string>({
      process(key, ctx, events, out) {
        out.collect(
          `${key} [${ctx.window.start}, ${ctx.window.end}) ${[...events]
            .map((e) => e.seq)
            .sort((a, b) => a - b)
            .join(',')}`,
        );
      },
    })
    .collect();
  await env.execute('session-contents');
  return results.values;
}

test('an out-of-order record that bridges two sessions merges them into one holding every element', async () => {
  const got = await sessionContents(
    [
      { key: 'a', ts: 1000, seq: 0 },
      { key: 'a', ts: 1400, seq: 1 }, // 1400 > 1000 + 300: a second session
      { key: 'b', ts: 1100, seq: 2 }, // another key in between is not merged
      { key: 'a', ts: 1200, seq: 3 }, // bridges [1000, 1300) and [1400, 1700)
    ],
    300,
    500,
  );
  assert.deepEqual(got.sort(), ['a [1000, 1700) 0,1,3', 'b [1100, 1400) 2']);
});

test('a late record within the lateness merges a fired session with a pending one, and the merged session fires at its new end', async () => {
  const got = await sessionContents(
    [
      { key: 'a', ts: 1000, seq: 0 },
      { key: 'a', ts: 1400, seq: 1 }, // watermark 1399: [1000, 1300) fires
      { key: 'a', ts: 1200, seq: 2 }, // late but within 500: bridges the fired session and [1400, 1700)
      { key: 'a', ts: 2100, seq: 3 }, // watermark 2099: [1000, 1700) fires
    ],
    300,
    0,
    500,
  );
  assert.deepEqual(got, ['a [1000, 1300) 0', 'a [1000, 1700) 0,1,2', 'a [2100, 2400) 3']);
});

test('records bridging sessions merge them again and again, and sessions that only touch merge too', async () => {
  const got = await sessionContents(
    [
      { key: 'a', ts: 0, seq: 0 },
      { key: 'a', ts: 250, seq: 1 },
      { key: 'a', ts: 500, seq: 2 },
      { key: 'a', ts: 900, seq: 3 },
      { key: 'a', ts: 1000, seq: 4 }, // [1000, 1100) touches [900, 1000): one session
      { key: 'a', ts: 150, seq: 5 }, // [150, 250) touches [250, 350) only
      { key: 'a', ts: 420, seq: 6 }, // [420, 520) overlaps [500, 600) only
      { key: 'a', ts: 60, seq: 7 }, // bridges [0, 100) and [150, 350)
      { key: 'a', ts: 340, seq: 8 }, // bridges [0, 350) and [420, 600)
    ],
    100,
    2000,
  );
  assert.deepEqual(got, ['a [0, 600) 0,1,2,5,6,7,8', 'a [900, 1100) 3,4']);
});

interface SessionSpan {
  key: string;
  start: number;
  end: number;
  first: number;
  last: number;
  count: number;
}

test('an aggregate with a ProcessWindowFunction sees the merged session: its start, end and the merged accumulators', async () => {
  const input = sessionEvents(2000, 4, 30, 41);
  const gap = 200;
  // A mutable accumulator: add and merge change and return it, as Flink allows.
  const span: AggregateFunction<Event, { first: number; last: number; n: number }, [number, number, number]> = {
    createAccumulator: () => ({ first: Infinity, last: -Infinity, n: 0 }),
    add(e, acc) {
      acc.first = Math.min(acc.first, e.ts);
      acc.last = Math.max(acc.last, e.ts);
      acc.n++;
      return acc;
    },
    getResult: (acc) => [acc.first, acc.last, acc.n],
    merge(a, b) {
      a.first = Math.min(a.first, b.first);
      a.last = Math.max(a.last, b.last);
      a.n += b.n;
      return a;
    },
  };
  for (const parallelism of [1, 4]) {
    const env = new StreamEnvironment().setParallelism(parallelism);
    const results = env
      .fromSource(collectionSource(input), punctuatedWatermarks<Event>(30))
      .setParallelism(1)
      .keyBy((e) => e.key)
      .window(EventTimeSessionWindows.withGap(gap))
      .aggregate<{ first: number; last: number; n: number }, [number, number, number], SessionSpan>(span, {
        process(key, ctx, spans, out) {
          const all = [...spans];
          assert.equal(all.length, 1, 'one aggregated result per firing');
          const [first, last, n] = all[0]!;
          out.collect({ key, start: ctx.window.start, end: ctx.window.end, first, last, count: n });
        },
      })
      .collect();
    await env.execute('session-aggregate');
    const want = groupSessions(input, gap).map((s) => ({ ...s, first: s.start, last: s.end - gap }));
    const order = (a: SessionSpan, b: SessionSpan) => a.key.localeCompare(b.key) || a.start - b.start;
    assert.deepEqual(results.values.sort(order), want.sort(order), `parallelism ${parallelism}`);
  }
});
