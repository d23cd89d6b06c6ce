// A window of event or processing time, [start, end); its last timestamp is end - 1.

export interface TimeWindow {
  readonly start: number;
  readonly end: number;
}

export function timeWindow(start: number, end: number): TimeWindow {
  return { start, end };
}

export function maxTimestamp(window: TimeWindow): number {
  return window.end - 1;
}

export function intersects(a: TimeWindow, b: TimeWindow): boolean {
  return a.start <= b.end && a.end >= b.start;
}

export function cover(a: TimeWindow, b: TimeWindow): TimeWindow {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

/** The start of the window of `size` (shifted by `offset`) that contains `timestamp`. */
export function windowStart(timestamp: number, offset: number, size: number): number {
  const remainder = (timestamp - offset) % size;
  return remainder < 0 ? timestamp - (remainder + size) : timestamp - remainder;
}
