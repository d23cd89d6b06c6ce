// Shared by the window tests: seeded out-of-order input, a punctuated watermark
// strategy that makes the watermark sequence a function of the input, a job
// that counts per key and window, and an independent model of fixed-size
// event-time windows to compare such jobs against.
import { StreamEnvironment } from '../api/environment.ts';
import type { AggregateFunction, ProcessWindowFunction } from '../api/functions.ts';
import { OutputTag } from '../api/output-tag.ts';
import { collectionSource } from '../connectors/collection-source.ts';
import { SeededRandom } from '../connectors/random.ts';
import { MAX_WATERMARK, MIN_WATERMARK } from '../execution/elements.ts';
import { forGenerator, type WatermarkStrategy } from '../time/watermark-strategy.ts';
import type { WindowAssigner } from '../windows/assigners.ts';
import type { TimeWindow } from '../windows/time-window.ts';

export interface Event {
  key: string;
  ts: number;
  /** Position in the input: identifies a record in expectations. */
  seq: number;
}

/** Event i has time i * step plus 0..jitter ms, so events arrive out of order by up to `jitter`. */
export function jitteredEvents(options: {
  count: number;
  keys: number;
  step: number;
  jitter: number;
  seed: number;
}): Event[] {
  const random = new SeededRandom().reset(options.seed);
  return Array.from({ length: options.count }, (_, seq) => ({
    key: `k${random.int(0, options.keys)}`,
    ts: seq * options.step + random.int(0, options.jitter + 1),
    seq,
  }));
}

/**
 * Bounded out-of-orderness, but punctuated: after every record the watermark is
 * the highest timestamp so far - bound - 1. Periodic emission would make the
 * watermark a record meets depend on timing; this makes it depend on the input only.
 */
export function punctuatedWatermarks<T extends { ts: number }>(bound: number): WatermarkStrategy<T> {
  return forGenerator<T>(() => {
    let max = MIN_WATERMARK;
    return {
      onEvent(_value, timestamp, output) {
        max = Math.max(max, timestamp);
        output.emitWatermark(max - bound - 1);
      },
      onPeriodicEmit() {},
    };
  }).withTimestampAssigner((e) => e.ts);
}

/**
 * Under punctuatedWatermarks(bound), the watermark in force when each record
 * arrives (a record goes out before the watermark it causes); one more entry at
 * the end: the watermark after the last record, before the final one.
 */
export function watermarksBefore(timestamps: readonly number[], bound: number): number[] {
  const watermarks = [MIN_WATERMARK];
  let max = MIN_WATERMARK;
  for (const ts of timestamps) {
    max = Math.max(max, ts);
    watermarks.push(max - bound - 1);
  }
  return watermarks;
}

export interface Firing {
  key: string;
  start: number;
  end: number;
  count: number;
  /** The operator's watermark when the window fired. */
  watermark: number;
}

/** Orders firings for comparison; late firings of a window only ever add records. */
export function byWindow(a: Firing, b: Firing): number {
  return a.key.localeCompare(b.key) || a.start - b.start || a.count - b.count || a.watermark - b.watermark;
}

const counting: AggregateFunction<Event, number, number> = {
  createAccumulator: () => 0,
  add: (_e, n) => n + 1,
  getResult: (n) => n,
  merge: (a, b) => a + b,
};

/** Reports each firing with its window and the watermark it fired at. */
const describeFiring: ProcessWindowFunction<number, Firing, string, TimeWindow> = {
  process(key, ctx, counts, out) {
    for (const count of counts) {
      out.collect({ key, start: ctx.window.start, end: ctx.window.end, count, watermark: ctx.currentWatermark() });
    }
  },
};

/**
 * Runs a job counting `input` per key and window: one collection reader with
 * punctuatedWatermarks(bound), the window at `parallelism`. Late records go to
 * a side output unless `dropLate`.
 */
export async function countWindows(
  input: Event[],
  options: { parallelism: number; bound: number; assigner: WindowAssigner; lateness?: number; dropLate?: boolean },
) {
  const env = new StreamEnvironment().setParallelism(options.parallelism);
  const lateTag = new OutputTag<Event>('late');
  const windowed = env
    .fromSource(collectionSource(input), punctuatedWatermarks<Event>(options.bound))
    .setParallelism(1)
    .keyBy((e) => e.key)
    .window(options.assigner)
    .allowedLateness(options.lateness ?? 0);
  if (!options.dropLate) windowed.sideOutputLateData(lateTag);
  const firings = windowed.aggregate(counting, describeFiring);
  const results = firings.collect();
  const late = firings.getSideOutput(lateTag).collect();
  await env.execute('count-windows');
  return {
    firings: results.values.sort(byWindow),
    records: results.records,
    // Late records of different keys come from different subtasks: compare them in input order.
    late: late.records.sort((a, b) => a.value.seq - b.value.seq),
  };
}

export type WindowsOf = (ts: number) => [start: number, end: number][];

export const tumblingWindows =
  (size: number): WindowsOf =>
  (ts) => {
    const start = Math.floor(ts / size) * size;
    return [[start, start + size]];
  };

export const slidingWindows =
  (size: number, slide: number): WindowsOf =>
  (ts) => {
    const windows: [number, number][] = [];
    for (let start = Math.floor(ts / slide) * slide; start + size > ts; start -= slide)
      windows.push([start, start + size]);
    return windows;
  };

/**
 * Fixed-size event-time windows simulated record by record: a window accepts
 * records until the watermark reaches end - 1 + lateness; it fires when the
 * watermark first reaches end - 1 (at the latest on the final watermark), and
 * again for every record it accepts after that. A record no window accepts is late.
 */
export function fixedWindowModel(
  input: readonly Event[],
  options: { bound: number; lateness: number; windowsOf: WindowsOf },
): { firings: Firing[]; late: Event[] } {
  const watermarks = watermarksBefore(
    input.map((e) => e.ts),
    options.bound,
  );
  const windows = new Map<string, { key: string; start: number; end: number; count: number; fired: boolean }>();
  const firings: Firing[] = [];
  const late: Event[] = [];
  const fireDue = (watermark: number) => {
    for (const w of windows.values()) {
      if (w.fired || w.end - 1 > watermark) continue;
      w.fired = true;
      firings.push({ key: w.key, start: w.start, end: w.end, count: w.count, watermark });
    }
  };
  input.forEach((e, i) => {
    const watermark = watermarks[i]!;
    fireDue(watermark);
    const open = options.windowsOf(e.ts).filter(([, end]) => end - 1 + options.lateness > watermark);
    if (open.length === 0) late.push(e);
    for (const [start, end] of open) {
      const id = `${e.key}@${start}`;
      const w = windows.get(id) ?? { key: e.key, start, end, count: 0, fired: false };
      windows.set(id, w);
      w.count++;
      // A window the watermark has already passed fires at once, with what it holds now.
      if (end - 1 <= watermark) {
        w.fired = true;
        firings.push({ key: e.key, start, end, count: w.count, watermark });
      }
    }
  });
  fireDue(watermarks.at(-1)!);
  fireDue(MAX_WATERMARK);
  return { firings: firings.sort(byWindow), late };
}
