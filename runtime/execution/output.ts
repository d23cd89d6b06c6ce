// How an operator hands records on: to the next operator of its chain, to the
// channels of the next task, or to a side output.
import type { OutputTag } from '../api/output-tag.ts';

/** What an operator emits into. Timestamps travel beside values, never wrapped. */
export interface Output {
  collect(value: unknown, timestamp: number): void;
  emitWatermark(timestamp: number): void;
  emitWatermarkStatus(idle: boolean): void;
  collectSide(tag: OutputTag<unknown>, value: unknown, timestamp: number): void;
}

/** An output that drops everything (the end of a chain with no consumer). */
export const DISCARDING_OUTPUT: Output = {
  collect() {},
  emitWatermark() {},
  emitWatermarkStatus() {},
  collectSide() {},
};
