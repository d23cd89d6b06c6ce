// Window assigners and the default triggers as pure functions: the windows a
// timestamp gets, checked against brute-force enumeration over a range that
// includes negative times, and the trigger decisions, table-driven.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  EventTimeSessionWindows,
  ProcessingTimeSessionWindows,
  SlidingEventTimeWindows,
  SlidingProcessingTimeWindows,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  eventTimeTrigger,
  processingTimeTrigger,
  type TimeWindow,
} from '../index.ts';
import type { TriggerContext } from './triggers.ts';

/** Every window [s, s + size) with s = offset + k * slide (k in -1000..1000) that contains `ts`: enumerated, not computed. */
function bruteForce(ts: number, size: number, slide: number, offset: number): TimeWindow[] {
  const windows: TimeWindow[] = [];
  for (let k = -1000; k <= 1000; k++) {
    const start = offset + k * slide;
    if (start <= ts && ts < start + size) windows.push({ start, end: start + size });
  }
  return windows.sort((a, b) => b.start - a.start);
}

const timestamps = Array.from({ length: 1201 }, (_, i) => i - 600);

test('a tumbling window is the one window of its size (shifted by the offset) that contains the timestamp', () => {
  for (const [size, offset] of [
    [100, 0],
    [100, 30],
    [100, -30],
    [7, 3],
    [1, 0],
  ] as const) {
    const assigner = TumblingEventTimeWindows.of(size, offset);
    for (const ts of timestamps) {
      assert.deepEqual(
        assigner.assignWindows(ts),
        bruteForce(ts, size, size, offset),
        `size ${size} offset ${offset} ts ${ts}`,
      );
    }
  }
});

test('sliding windows are every window of the slide grid that contains the timestamp, latest first', () => {
  for (const [size, slide, offset] of [
    [100, 25, 0],
    [100, 30, 0],
    [100, 30, 10],
    [90, 30, -20],
    [50, 50, 0],
    [30, 70, 5], // slide larger than size: some timestamps are in no window
  ] as const) {
    const assigner = SlidingEventTimeWindows.of(size, slide, offset);
    for (const ts of timestamps) {
      assert.deepEqual(
        assigner.assignWindows(ts),
        bruteForce(ts, size, slide, offset),
        `size ${size} slide ${slide} offset ${offset} ts ${ts}`,
      );
    }
  }
});

test('a session window starts at the timestamp and lasts the gap', () => {
  for (const ts of [-500, -1, 0, 1, 12_345]) {
    assert.deepEqual(EventTimeSessionWindows.withGap(30).assignWindows(ts), [{ start: ts, end: ts + 30 }]);
  }
});

test('assigners state their time domain, whether they merge and their default trigger', () => {
  const cases = [
    [TumblingEventTimeWindows.of(10), true, false, eventTimeTrigger],
    [SlidingEventTimeWindows.of(10, 5), true, false, eventTimeTrigger],
    [EventTimeSessionWindows.withGap(10), true, true, eventTimeTrigger],
    [TumblingProcessingTimeWindows.of(10), false, false, processingTimeTrigger],
    [SlidingProcessingTimeWindows.of(10, 5), false, false, processingTimeTrigger],
    [ProcessingTimeSessionWindows.withGap(10), false, true, processingTimeTrigger],
  ] as const;
  for (const [assigner, isEventTime, isMerging, trigger] of cases) {
    assert.equal(assigner.isEventTime, isEventTime, assigner.description);
    assert.equal(assigner.isMerging, isMerging, assigner.description);
    assert.equal(assigner.defaultTrigger(), trigger, assigner.description);
  }
});

test('assigners reject sizes, slides, gaps and offsets that define no windows', () => {
  const invalid = [
    () => TumblingEventTimeWindows.of(0),
    () => TumblingEventTimeWindows.of(-5),
    () => TumblingEventTimeWindows.of(Number.NaN),
    () => TumblingEventTimeWindows.of(100, 100),
    () => TumblingProcessingTimeWindows.of(100, -100),
    () => SlidingEventTimeWindows.of(100, 0),
    () => SlidingEventTimeWindows.of(100, 20, 20),
    () => SlidingProcessingTimeWindows.of(0, 10),
    () => EventTimeSessionWindows.withGap(0),
    () => ProcessingTimeSessionWindows.withGap(Number.POSITIVE_INFINITY),
  ];
  for (const make of invalid) assert.throws(make, RangeError, make.toString());
});

/** A trigger context at a given watermark and processing time that records timer calls. */
function context(watermark: number, now: number) {
  const calls: string[] = [];
  const ctx: TriggerContext = {
    currentWatermark: () => watermark,
    currentProcessingTime: () => now,
    registerEventTimeTimer: (t) => calls.push(`+event ${t}`),
    registerProcessingTimeTimer: (t) => calls.push(`+processing ${t}`),
    deleteEventTimeTimer: (t) => calls.push(`-event ${t}`),
    deleteProcessingTimeTimer: (t) => calls.push(`-processing ${t}`),
  };
  return { ctx, calls };
}

const window = { start: 100, end: 200 };

test('the event-time trigger waits for the watermark to reach end - 1, and fires at once for a window it already passed', () => {
  const cases = [
    { watermark: 50, result: 'continue', calls: ['+event 199'] },
    { watermark: 198, result: 'continue', calls: ['+event 199'] },
    { watermark: 199, result: 'fire', calls: [] },
    { watermark: 5000, result: 'fire', calls: [] },
  ];
  for (const c of cases) {
    const { ctx, calls } = context(c.watermark, 1e12);
    assert.equal(eventTimeTrigger.onElement(150, window, ctx), c.result, `watermark ${c.watermark}`);
    assert.deepEqual(calls, c.calls, `watermark ${c.watermark}`);
  }
  const { ctx } = context(0, 0);
  assert.equal(eventTimeTrigger.onEventTime(199, window, ctx), 'fire');
  assert.equal(eventTimeTrigger.onEventTime(299, window, ctx), 'continue', 'the cleanup timer does not fire again');
  assert.equal(eventTimeTrigger.onProcessingTime(199, window, ctx), 'continue', 'processing time never fires it');
});

test('the processing-time trigger fires on its processing-time timer only', () => {
  const { ctx, calls } = context(Number.MAX_SAFE_INTEGER, 120);
  assert.equal(processingTimeTrigger.onElement(-1e9, window, ctx), 'continue');
  assert.deepEqual(calls, ['+processing 199']);
  assert.equal(processingTimeTrigger.onEventTime(199, window, ctx), 'continue', 'watermarks never fire it');
  assert.equal(processingTimeTrigger.onProcessingTime(199, window, ctx), 'fire');
});

test('on a merge, triggers set a timer for the merged window unless its time has passed; clear deletes it', () => {
  const merged = { start: 100, end: 400 };
  for (const [trigger, domain] of [
    [eventTimeTrigger, 'event'],
    [processingTimeTrigger, 'processing'],
  ] as const) {
    const pending = context(300, 300);
    trigger.onMerge(merged, pending.ctx);
    trigger.clear(window, pending.ctx);
    assert.deepEqual(pending.calls, [`+${domain} 399`, `-${domain} 199`]);
    const passed = context(399, 399);
    trigger.onMerge(merged, passed.ctx);
    assert.deepEqual(passed.calls, []);
  }
});
