// Processing-time windows on a ManualClock: records fall into windows by the
// clock when the window operator takes them, windows fire when the clock passes
// their end - 1 and never on watermarks, proved against a simulation of the same script.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from '../connectors/random.ts';
import {
  ManualClock,
  ProcessingTimeSessionWindows,
  SlidingProcessingTimeWindows,
  StreamEnvironment,
  TumblingProcessingTimeWindows,
  type WindowAssigner,
} from '../index.ts';
import { queueSource } from '../testing/queue-source.ts';
import { waitUntil } from '../testing/wait-until.ts';
import { punctuatedWatermarks, slidingWindows, tumblingWindows, type Event } from '../testing/window-model.ts';

/** A test script: at each step the clock moves to `at`, then `arrive` reach the window operator. */
interface Step {
  at: number;
  arrive: Event[];
}

function randomScript(seed: number, steps: number): Step[] {
  const random = new SeededRandom().reset(seed);
  let at = 0;
  let seq = 0;
  return Array.from({ length: steps }, () => {
    at += random.int(0, 70);
    const arrive = Array.from({ length: random.int(0, 4) }, () => ({ key: `k${random.int(0, 3)}`, ts: 0, seq: seq++ }));
    return { at, arrive };
  });
}

type Open = { key: string; start: number; end: number; seqs: number[] };
const describe = (w: Open) => `${w.key} [${w.start}, ${w.end}) ${[...w.seqs].sort((a, b) => a - b).join(',')}`;

/** What fires at one step: when the clock moves, and after the records arrive (a window whose end - 1 is now). */
interface StepFirings {
  advance: string[];
  arrival: string[];
}

/**
 * The firings of `script`: a window fires when the clock reaches its end - 1,
 * and every pending one at end of input. Records fall into `windowsOf(now)`, or
 * with a `gap` into a session [now, now + gap) that absorbs the key's open sessions it touches.
 */
function simulate(script: Step[], windows: { windowsOf?: (now: number) => [number, number][]; gap?: number }) {
  let open: Open[] = [];
  const fireDue = (now: number) => {
    const due = open.filter((w) => w.end - 1 <= now).map(describe);
    open = open.filter((w) => w.end - 1 > now);
    return due.sort();
  };
  const steps = script.map(({ at, arrive }): StepFirings => {
    const advance = fireDue(at);
    for (const e of arrive) {
      if (windows.windowsOf) {
        for (const [start, end] of windows.windowsOf(at)) {
          const w = open.find((o) => o.key === e.key && o.start === start);
          if (w) w.seqs.push(e.seq);
          else open.push({ key: e.key, start, end, seqs: [e.seq] });
        }
      } else {
        const merged = { key: e.key, start: at, end: at + windows.gap!, seqs: [e.seq] };
        const touching = open.filter((o) => o.key === e.key && o.start <= merged.end && merged.start <= o.end);
        for (const o of touching) {
          merged.start = Math.min(merged.start, o.start);
          merged.end = Math.max(merged.end, o.end);
          merged.seqs.push(...o.seqs);
        }
        open = [...open.filter((o) => !touching.includes(o)), merged];
      }
    }
    return { advance, arrival: fireDue(at) };
  });
  return { steps, atEnd: open.map(describe).sort() };
}

/**
 * Runs `script` through `assigner` on a ManualClock, recording what fires at
 * each step; `expected` says how many firings to wait for before moving on.
 */
async function runScript(
  script: Step[],
  assigner: WindowAssigner,
  options: { parallelism: number; expected: StepFirings[] },
) {
  const clock = new ManualClock(0);
  const env = new StreamEnvironment().setParallelism(options.parallelism).setProcessingTimeClock(clock);
  const feed = queueSource<Event>();
  // The key selector runs once where a record is partitioned and once in the window operator:
  // two calls per record mean the window operator has taken it, at the clock's current time.
  let keyed = 0;
  const results = env
    .fromSource(feed.source)
    .setParallelism(1)
    .keyBy((e) => {
      keyed++;
      return e.key;
    })
    .window(assigner)
    .process<string>({
      process(key, ctx, events, out) {
        const seqs = [...events].map((e) => e.seq).sort((a, b) => a - b);
        out.collect(`${key} [${ctx.window.start}, ${ctx.window.end}) ${seqs.join(',')}`);
      },
    })
    .collect();
  const job = env.execute('processing-time-windows');
  let seen = 0;
  const firedSince = async (count: number, what: string) => {
    await waitUntil(() => results.values.length >= seen + count, what);
    const fired = results.values.slice(seen).sort();
    seen = results.values.length;
    return fired;
  };
  const steps: StepFirings[] = [];
  let arrived = 0;
  for (const [i, { at, arrive }] of script.entries()) {
    clock.advanceTo(at);
    const advance = await firedSince(options.expected[i]!.advance.length, `step ${i}: firings at ${at}`);
    feed.push(...arrive);
    arrived += arrive.length;
    await waitUntil(() => keyed === 2 * arrived, `step ${i}: the window operator has the records`);
    steps.push({ advance, arrival: await firedSince(options.expected[i]!.arrival.length, `step ${i}: firings`) });
  }
  feed.end();
  await job;
  return { steps, atEnd: results.values.slice(seen).sort() };
}

for (const parallelism of [1, 3]) {
  test(`tumbling processing-time windows group records by the clock at arrival and fire when it reaches end - 1 (parallelism ${parallelism})`, async () => {
    const script = randomScript(5, 60);
    const want = simulate(script, { windowsOf: tumblingWindows(100) });
    assert.ok(want.steps.some((s) => s.advance.length > 0) && want.atEnd.length > 0);
    const got = await runScript(script, TumblingProcessingTimeWindows.of(100), { parallelism, expected: want.steps });
    assert.deepEqual(got, want);
  });
}

test('sliding processing-time windows hold each record in every window covering its arrival time', async () => {
  const script = randomScript(6, 60);
  const want = simulate(script, { windowsOf: slidingWindows(150, 50) });
  const got = await runScript(script, SlidingProcessingTimeWindows.of(150, 50), {
    parallelism: 2,
    expected: want.steps,
  });
  assert.deepEqual(got, want);
});

test('processing-time session windows merge records that arrive within the gap of each other', async () => {
  const script = randomScript(7, 80);
  const want = simulate(script, { gap: 60 });
  assert.ok(
    want.steps.some((s) => s.advance.some((f) => f.includes(','))),
    'some sessions hold several records',
  );
  const got = await runScript(script, ProcessingTimeSessionWindows.withGap(60), {
    parallelism: 2,
    expected: want.steps,
  });
  assert.deepEqual(got, want);
});

test('processing-time windows ignore event time: far-ahead timestamps and watermarks fire nothing until the clock moves', async () => {
  const clock = new ManualClock(0);
  const env = new StreamEnvironment().setProcessingTimeClock(clock);
  const feed = queueSource<Event>();
  let keyed = 0;
  const results = env
    .fromSource(feed.source, punctuatedWatermarks<Event>(0))
    .keyBy((e) => {
      keyed++;
      return e.key;
    })
    .window(TumblingProcessingTimeWindows.of(100))
    .process<string>({
      process(key, ctx, events, out) {
        out.collect(`${key} [${ctx.window.start}, ${ctx.window.end}) ${[...events].length}`);
      },
    })
    .collect();
  const job = env.execute('processing-time-not-event-time');
  // The second record follows the first one's watermark (~1e12) in band: once it is taken, so is the watermark.
  feed.push({ key: 'a', ts: 1e12, seq: 0 }, { key: 'a', ts: 2e12, seq: 1 });
  await waitUntil(() => keyed === 4, 'the window operator has the records');
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(results.values, [], 'watermarks do not fire processing-time windows');
  clock.advanceTo(98);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(results.values, [], 'nor does the clock before end - 1');
  clock.advanceTo(99);
  await waitUntil(() => results.values.length === 1, 'the window fires at 99');
  assert.deepEqual(results.values, ['a [0, 100) 2']);
  feed.end();
  await job;
});
