// Watermark strategies: how event timestamps are read from records and how
// watermarks follow them (Flink's WatermarkStrategy and WatermarkGenerator).
import { MIN_WATERMARK } from '../execution/elements.ts';

/** Receives watermarks from a generator. */
export interface WatermarkOutput {
  emitWatermark(timestamp: number): void;
  markIdle(): void;
  markActive(): void;
}

/** Tracks event timestamps and decides watermarks, on each event and periodically. */
export interface WatermarkGenerator<T> {
  onEvent(value: T, timestamp: number, output: WatermarkOutput): void;
  onPeriodicEmit(output: WatermarkOutput): void;
}

export type TimestampAssigner<T> = (value: T, previousTimestamp: number | undefined) => number;

export interface WatermarkStrategy<T> {
  createGenerator(): WatermarkGenerator<T>;
  timestampAssigner?: TimestampAssigner<T>;
  /** A split or input with no records for this long is idle and holds no watermark back. */
  idlenessMs?: number;
  /** Give the strategy a timestamp assigner. */
  withTimestampAssigner(assigner: TimestampAssigner<T>): WatermarkStrategy<T>;
  /** Mark a split or input idle after `ms` without records. */
  withIdleness(ms: number): WatermarkStrategy<T>;
}

function strategy<T>(
  createGenerator: () => WatermarkGenerator<T>,
  timestampAssigner?: TimestampAssigner<T>,
  idlenessMs?: number,
): WatermarkStrategy<T> {
  return {
    createGenerator,
    timestampAssigner,
    idlenessMs,
    withTimestampAssigner: (assigner) => strategy(createGenerator, assigner, idlenessMs),
    withIdleness: (ms) => {
      if (!(ms > 0)) throw new RangeError(`idleness must be a positive number of ms, got ${ms}`);
      return strategy(createGenerator, timestampAssigner, ms);
    },
  };
}

/** Watermarks trail the highest timestamp seen by `maxOutOfOrdernessMs` (minus one, as in Flink). */
export function forBoundedOutOfOrderness<T>(maxOutOfOrdernessMs: number): WatermarkStrategy<T> {
  if (!(maxOutOfOrdernessMs >= 0)) {
    throw new RangeError(`out-of-orderness must be >= 0 ms, got ${maxOutOfOrdernessMs}`);
  }
  return strategy(() => {
    let maxTimestamp = MIN_WATERMARK + maxOutOfOrdernessMs + 1;
    return {
      onEvent(_value, timestamp) {
        if (timestamp > maxTimestamp) maxTimestamp = timestamp;
      },
      onPeriodicEmit(output) {
        output.emitWatermark(maxTimestamp - maxOutOfOrdernessMs - 1);
      },
    };
  });
}

/** For sources whose timestamps never decrease. */
export function forMonotonousTimestamps<T>(): WatermarkStrategy<T> {
  return forBoundedOutOfOrderness<T>(0);
}

/** A strategy with a generator of your own. */
export function forGenerator<T>(createGenerator: () => WatermarkGenerator<T>): WatermarkStrategy<T> {
  return strategy(createGenerator);
}

/** No watermarks at all (processing-time jobs). */
export function noWatermarks<T>(): WatermarkStrategy<T> {
  return strategy(() => ({ onEvent() {}, onPeriodicEmit() {} }));
}
