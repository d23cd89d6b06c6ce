// Window assigners: which windows an element belongs to. Named after Flink's
// classes so that a Flink user finds them: TumblingEventTimeWindows.of(...).
import { eventTimeTrigger, processingTimeTrigger, type Trigger } from './triggers.ts';
import { timeWindow, windowStart, type TimeWindow } from './time-window.ts';

export interface WindowAssigner {
  readonly description: string;
  readonly isEventTime: boolean;
  /** Session windows merge; their state moves with them. */
  readonly isMerging: boolean;
  /** Windows of fixed size are identified by their start alone. */
  readonly size: number | undefined;
  assignWindows(timestamp: number): TimeWindow[];
  defaultTrigger(): Trigger;
}

function checkPositive(what: string, ms: number): void {
  if (!Number.isFinite(ms) || ms <= 0) throw new RangeError(`${what} must be a positive number of ms, got ${ms}`);
}

function tumbling(size: number, offset: number, isEventTime: boolean): WindowAssigner {
  checkPositive('window size', size);
  if (Math.abs(offset) >= size) throw new RangeError(`window offset ${offset} must be smaller than the size ${size}`);
  return {
    description: `Tumbling${isEventTime ? 'EventTime' : 'ProcessingTime'}Windows(${size})`,
    isEventTime,
    isMerging: false,
    size,
    assignWindows(timestamp) {
      const start = windowStart(timestamp, offset, size);
      return [timeWindow(start, start + size)];
    },
    defaultTrigger: () => (isEventTime ? eventTimeTrigger : processingTimeTrigger),
  };
}

function sliding(size: number, slide: number, offset: number, isEventTime: boolean): WindowAssigner {
  checkPositive('window size', size);
  checkPositive('window slide', slide);
  if (Math.abs(offset) >= slide)
    throw new RangeError(`window offset ${offset} must be smaller than the slide ${slide}`);
  return {
    description: `Sliding${isEventTime ? 'EventTime' : 'ProcessingTime'}Windows(${size}, ${slide})`,
    isEventTime,
    isMerging: false,
    size,
    assignWindows(timestamp) {
      const windows: TimeWindow[] = [];
      const lastStart = windowStart(timestamp, offset, slide);
      for (let start = lastStart; start > timestamp - size; start -= slide)
        windows.push(timeWindow(start, start + size));
      return windows;
    },
    defaultTrigger: () => (isEventTime ? eventTimeTrigger : processingTimeTrigger),
  };
}

function session(gap: number, isEventTime: boolean): WindowAssigner {
  checkPositive('session gap', gap);
  return {
    description: `${isEventTime ? 'EventTime' : 'ProcessingTime'}SessionWindows(${gap})`,
    isEventTime,
    isMerging: true,
    size: undefined,
    assignWindows: (timestamp) => [timeWindow(timestamp, timestamp + gap)],
    defaultTrigger: () => (isEventTime ? eventTimeTrigger : processingTimeTrigger),
  };
}

export const TumblingEventTimeWindows = { of: (sizeMs: number, offsetMs = 0) => tumbling(sizeMs, offsetMs, true) };
export const TumblingProcessingTimeWindows = {
  of: (sizeMs: number, offsetMs = 0) => tumbling(sizeMs, offsetMs, false),
};
export const SlidingEventTimeWindows = {
  of: (sizeMs: number, slideMs: number, offsetMs = 0) => sliding(sizeMs, slideMs, offsetMs, true),
};
export const SlidingProcessingTimeWindows = {
  of: (sizeMs: number, slideMs: number, offsetMs = 0) => sliding(sizeMs, slideMs, offsetMs, false),
};
export const EventTimeSessionWindows = { withGap: (gapMs: number) => session(gapMs, true) };
export const ProcessingTimeSessionWindows = { withGap: (gapMs: number) => session(gapMs, false) };
