// Timers of keyed process functions: event-time timers fire once per key and
// timestamp, in timestamp order, as the watermark passes them; deleted ones never
// fire. Processing-time timers follow a ManualClock the test advances.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom, seedFor } from '../connectors/random.ts';
import {
  ManualClock,
  StreamEnvironment,
  forMonotonousTimestamps,
  type KeyedProcessFunction,
  type OnTimerContext,
} from '../index.ts';
import { queueSource } from '../testing/queue-source.ts';
import { waitUntil } from '../testing/wait-until.ts';

interface Command {
  index: number;
  key: string;
  /** The event time of the command. */
  at: number;
  /** A timer in the future of `at`, to register or delete. */
  timer: number;
  action: 'register' | 'delete';
}

// Four splits, each key drawn from one split, so a key's commands reach its instance in order.
const SPLITS = 4;
const generate = (index: number, r: SeededRandom): Command => ({
  index,
  key: `k${index % SPLITS}-${r.int(0, 5)}`,
  at: index,
  // Few distinct timestamps per key, so most registrations repeat an existing timer.
  timer: (Math.floor(index / 250) + 1) * 250 + r.int(0, 3) * 100,
  action: r.next() < 0.15 ? 'delete' : 'register',
});

interface Fired {
  subtask: number;
  key: string;
  timestamp: number;
  contextTimestamp: number | undefined;
  watermark: number;
  domain: string;
}

for (const parallelism of [1, 4]) {
  test(`event-time timers fire exactly for the timers registered and not deleted per key, once each, in timestamp order (parallelism ${parallelism})`, async () => {
    const count = 4000;
    const seed = 5;
    const random = new SeededRandom();
    const commands = Array.from({ length: count }, (_, i) => generate(i, random.reset(seedFor(seed, i))));
    // Independently: replay each key's registrations and deletions; all happen before their timer's time.
    const pending = new Map<string, Set<number>>();
    for (const c of commands) {
      const timers = pending.get(c.key) ?? new Set<number>();
      if (c.action === 'register') timers.add(c.timer);
      else timers.delete(c.timer);
      pending.set(c.key, timers);
    }
    const expected = [...pending].flatMap(([key, timers]) => [...timers].map((t) => `${key}@${t}`)).sort();
    assert.ok(commands.filter((c) => c.action === 'register').length > expected.length * 3, 'timers repeat');

    const fired: Fired[] = [];
    const fn: KeyedProcessFunction<string, Command, string> & { subtask?: number } = {
      open(ctx) {
        this.subtask = ctx.subtaskIndex;
      },
      processElement(c, ctx) {
        if (c.action === 'register') ctx.timerService().registerEventTimeTimer(c.timer);
        else ctx.timerService().deleteEventTimeTimer(c.timer);
      },
      onTimer(timestamp, ctx: OnTimerContext<string>, out) {
        fired.push({
          subtask: this.subtask!,
          key: ctx.getCurrentKey(),
          timestamp,
          contextTimestamp: ctx.timestamp(),
          watermark: ctx.timerService().currentWatermark(),
          domain: ctx.timeDomain(),
        });
        out.collect(`${ctx.getCurrentKey()}@${timestamp}`);
      },
    };
    const env = new StreamEnvironment().setParallelism(parallelism).setAutoWatermarkInterval(1);
    const out = env
      .fromGenerator(
        { count, seed, generate, splits: SPLITS },
        forMonotonousTimestamps<Command>().withTimestampAssigner((c) => c.at),
      )
      .keyBy((c) => c.key)
      .process(fn)
      .collect();
    await env.execute('event-timers');

    assert.deepEqual(out.values.sort(), expected);
    for (const f of fired) {
      assert.equal(f.domain, 'event-time');
      assert.equal(f.contextTimestamp, f.timestamp, 'onTimer sees the timer time as its timestamp');
      assert.ok(f.watermark >= f.timestamp, `timer ${f.timestamp} fired at watermark ${f.watermark}`);
    }
    for (let subtask = 0; subtask < parallelism; subtask++) {
      const times = fired.filter((f) => f.subtask === subtask).map((f) => f.timestamp);
      assert.deepEqual(
        times,
        [...times].sort((a, b) => a - b),
        `subtask ${subtask} fires in timestamp order`,
      );
    }
    assert.ok(
      out.records.every((r) => r.timestamp === Number(r.value.split('@')[1])),
      'timer output carries the timer time',
    );
  });
}

test('an event-time timer fires only once the watermark reaches it, not on the records before', async () => {
  const clock = new ManualClock(0);
  const env = new StreamEnvironment().setProcessingTimeClock(clock).setAutoWatermarkInterval(10);
  const feed = queueSource<{ key: string; at: number }>();
  const fired: string[] = [];
  const processed = { count: 0 };
  env
    .fromSource(
      feed.source,
      forMonotonousTimestamps<{ key: string; at: number }>().withTimestampAssigner((e) => e.at),
    )
    .keyBy((e) => e.key)
    .process<never>({
      processElement(e, ctx) {
        ctx.timerService().registerEventTimeTimer(e.at + 100);
        processed.count++;
      },
      onTimer(timestamp, ctx) {
        fired.push(`${ctx.getCurrentKey()}@${timestamp}`);
      },
    })
    .collect();
  const job = env.execute('watermark-timers');
  // Watermarks follow the records' time (the largest timestamp seen, minus 1), emitted on the clock's period.
  const step = async (records: { key: string; at: number }[], firedNow: string[]) => {
    const before = processed.count;
    feed.push(...records);
    await waitUntil(() => processed.count === before + records.length, 'the records are processed');
    clock.advanceTo(clock.now() + 10);
    if (firedNow.length > 0) await waitUntil(() => fired.length === firedNow.length, `${firedNow.join()} fired`);
    else await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(fired, firedNow);
  };
  await step([{ key: 'a', at: 0 }], []); // timer a@100; watermark -1
  await step([{ key: 'b', at: 50 }], []); // timer b@150; watermark 49
  await step([{ key: 'c', at: 100 }], []); // watermark 99: a@100 not yet
  await step([{ key: 'c', at: 101 }], ['a@100']); // watermark 100
  await step([{ key: 'd', at: 400 }], ['a@100', 'b@150', 'c@200', 'c@201']);
  feed.end();
  await job;
  assert.deepEqual(fired, ['a@100', 'b@150', 'c@200', 'c@201', 'd@500'], 'end of input fires the rest');
});

test('processing-time timers fire when the ManualClock passes them, once per key and time, and deleted ones never', async () => {
  const clock = new ManualClock(0);
  const env = new StreamEnvironment().setParallelism(2).setProcessingTimeClock(clock);
  const feed = queueSource<{ key: string; timer: number; del?: boolean }>();
  const fired: { key: string; timestamp: number; eventTime: number | undefined; domain: string }[] = [];
  const processed = { count: 0 };
  env
    .fromSource(feed.source)
    .setParallelism(1)
    .keyBy((e) => e.key)
    .process<never>({
      processElement(e, ctx) {
        if (e.del) ctx.timerService().deleteProcessingTimeTimer(e.timer);
        else ctx.timerService().registerProcessingTimeTimer(e.timer);
        processed.count++;
      },
      onTimer(timestamp, ctx) {
        fired.push({ key: ctx.getCurrentKey(), timestamp, eventTime: ctx.timestamp(), domain: ctx.timeDomain() });
      },
    })
    .collect();
  const job = env.execute('processing-timers');
  const firedNames = () => fired.map((f) => `${f.key}@${f.timestamp}`);
  feed.push(
    { key: 'a', timer: 100 },
    { key: 'a', timer: 100 },
    { key: 'a', timer: 100 },
    { key: 'b', timer: 100 },
    { key: 'a', timer: 200 },
    { key: 'c', timer: 300 },
    { key: 'c', timer: 300, del: true },
    { key: 'd', timer: 50 },
  );
  await waitUntil(() => processed.count === 8, 'the registrations are processed');
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(fired.length, 0, 'nothing fires before the clock moves');

  clock.advanceTo(100);
  await waitUntil(() => fired.length >= 3, 'the timers up to 100 fired');
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(firedNames().sort(), ['a@100', 'b@100', 'd@50']);

  clock.advanceTo(250);
  await waitUntil(() => fired.length >= 4, 'a@200 fired');
  clock.advanceTo(1000);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(firedNames().sort(), ['a@100', 'a@200', 'b@100', 'd@50'], 'the deleted timer c@300 never fires');
  for (const f of fired) {
    assert.equal(f.domain, 'processing-time');
    assert.equal(f.eventTime, undefined, 'a processing-time timer has no event timestamp');
  }
  feed.end();
  await job;
  assert.equal(fired.length, 4);
});

test('a processing-time timer registered for a time the clock has already reached fires without the clock moving', async () => {
  const clock = new ManualClock(500);
  const env = new StreamEnvironment().setProcessingTimeClock(clock);
  const feed = queueSource<string>();
  const fired: number[] = [];
  env
    .fromSource(feed.source)
    .keyBy((s) => s)
    .process<never>({
      processElement(_s, ctx) {
        const now = ctx.timerService().currentProcessingTime();
        ctx.timerService().registerProcessingTimeTimer(now);
        ctx.timerService().registerProcessingTimeTimer(now - 100);
      },
      onTimer(timestamp) {
        fired.push(timestamp);
      },
    })
    .collect();
  const job = env.execute('due-timers');
  feed.push('a');
  await waitUntil(() => fired.length === 2, 'the due timers fired while the job runs');
  assert.deepEqual(fired, [400, 500]);
  feed.end();
  await job;
});

test('in a two-input operator, event-time timers wait for the watermark of both inputs', async () => {
  interface Ev {
    key: string;
    at: number;
  }
  const clock = new ManualClock(0);
  const env = new StreamEnvironment().setProcessingTimeClock(clock).setAutoWatermarkInterval(10);
  const left = queueSource<Ev>();
  const right = queueSource<Ev>();
  const strategy = forMonotonousTimestamps<Ev>().withTimestampAssigner((e) => e.at);
  const fired: string[] = [];
  const processed = { count: 0 };
  env
    .fromSource(left.source, strategy)
    .connect(env.fromSource(right.source, strategy))
    .keyBy(
      (e) => e.key,
      (e) => e.key,
    )
    .process<never, string>({
      processElement1(e, ctx) {
        ctx.timerService().registerEventTimeTimer(e.at + 100);
        processed.count++;
      },
      processElement2() {
        processed.count++;
      },
      onTimer(timestamp, ctx) {
        fired.push(`${ctx.getCurrentKey()}@${timestamp}@${ctx.timerService().currentWatermark()}`);
      },
    })
    .collect();
  const job = env.execute('two-input-watermarks');
  const tick = async () => {
    clock.advanceTo(clock.now() + 10);
    await new Promise((resolve) => setTimeout(resolve, 20));
  };
  left.push({ key: 'a', at: 0 }, { key: 'b', at: 500 });
  await waitUntil(() => processed.count === 2, 'the left records are processed');
  await tick(); // left watermark 499, right has none yet
  assert.deepEqual(fired, [], 'the right input holds the watermark back');
  right.push({ key: 'z', at: 150 });
  await waitUntil(() => processed.count === 3, 'the right record is processed');
  await tick(); // right watermark 149: the combined watermark is 149
  await waitUntil(() => fired.length === 1, 'a@100 fired');
  assert.deepEqual(fired, ['a@100@149']);
  left.end();
  right.end();
  await job;
  assert.deepEqual(fired, ['a@100@149', `b@600@${Number.MAX_SAFE_INTEGER}`]);
});

test('an input whose source went idle stops holding event time back: timers keep firing as the other input advances', async () => {
  interface Ev {
    key: string;
    at: number;
  }
  const clock = new ManualClock(0);
  const env = new StreamEnvironment().setProcessingTimeClock(clock).setAutoWatermarkInterval(10);
  const strategy = forMonotonousTimestamps<Ev>()
    .withTimestampAssigner((e) => e.at)
    .withIdleness(30);
  const busy = queueSource<Ev>();
  const quiet = queueSource<Ev>();
  const fired: number[] = [];
  const processed = { count: 0 };
  env
    .fromSource(busy.source, strategy)
    .connect(env.fromSource(quiet.source, strategy))
    .keyBy(
      (e) => e.key,
      (e) => e.key,
    )
    .process<never, string>({
      processElement1(e, ctx) {
        ctx.timerService().registerEventTimeTimer(e.at);
        processed.count++;
      },
      processElement2() {
        processed.count++;
      },
      onTimer(timestamp) {
        fired.push(timestamp);
      },
    })
    .collect();
  const job = env.execute('idle-input');
  quiet.push({ key: 'q', at: 0 });
  // Each step: a busy record at t * 10 (a timer there), then 10 ms of processing time (a periodic watermark).
  for (let t = 1; t <= 12; t++) {
    busy.push({ key: 'b', at: t * 10 });
    await waitUntil(() => processed.count === t + 1, `busy record ${t} is processed`);
    clock.advanceTo(t * 10);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  // The quiet input was idle from its third quiet period on (30 ms); the busy watermark then was 119 at the end.
  await waitUntil(() => fired.length === 11, 'every busy timer below the busy watermark fired');
  assert.deepEqual(
    fired,
    Array.from({ length: 11 }, (_, i) => (i + 1) * 10),
  );
  busy.end();
  quiet.end();
  await job;
  assert.equal(fired.length, 12);
});
