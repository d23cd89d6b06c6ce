// Triggers decide when a window's contents are emitted (Flink's Trigger).
import { maxTimestamp, type TimeWindow } from './time-window.ts';

export type TriggerResult = 'continue' | 'fire' | 'purge' | 'fire-and-purge';

export interface TriggerContext {
  currentWatermark(): number;
  currentProcessingTime(): number;
  registerEventTimeTimer(timestamp: number): void;
  registerProcessingTimeTimer(timestamp: number): void;
  deleteEventTimeTimer(timestamp: number): void;
  deleteProcessingTimeTimer(timestamp: number): void;
}

export interface Trigger {
  onElement(timestamp: number, window: TimeWindow, ctx: TriggerContext): TriggerResult;
  onEventTime(time: number, window: TimeWindow, ctx: TriggerContext): TriggerResult;
  onProcessingTime(time: number, window: TimeWindow, ctx: TriggerContext): TriggerResult;
  /** Called with the merged window when session windows merge. */
  onMerge(window: TimeWindow, ctx: TriggerContext): void;
  clear(window: TimeWindow, ctx: TriggerContext): void;
}

/**
 * Fires once when the watermark passes the end of the window, and again for
 * each late element within the allowed lateness.
 */
export const eventTimeTrigger: Trigger = {
  onElement(_timestamp, window, ctx) {
    const end = maxTimestamp(window);
    if (end <= ctx.currentWatermark()) return 'fire'; // a late element of a window already fired
    ctx.registerEventTimeTimer(end);
    return 'continue';
  },
  onEventTime(time, window) {
    return time === maxTimestamp(window) ? 'fire' : 'continue';
  },
  onProcessingTime() {
    return 'continue';
  },
  onMerge(window, ctx) {
    const end = maxTimestamp(window);
    if (end > ctx.currentWatermark()) ctx.registerEventTimeTimer(end);
  },
  clear(window, ctx) {
    ctx.deleteEventTimeTimer(maxTimestamp(window));
  },
};

/** Fires once when processing time passes the end of the window. */
export const processingTimeTrigger: Trigger = {
  onElement(_timestamp, window, ctx) {
    ctx.registerProcessingTimeTimer(maxTimestamp(window));
    return 'continue';
  },
  onEventTime() {
    return 'continue';
  },
  onProcessingTime(time, window) {
    return time === maxTimestamp(window) ? 'fire' : 'continue';
  },
  onMerge(window, ctx) {
    const end = maxTimestamp(window);
    if (end > ctx.currentProcessingTime()) ctx.registerProcessingTimeTimer(end);
  },
  clear(window, ctx) {
    ctx.deleteProcessingTimeTimer(maxTimestamp(window));
  },
};
