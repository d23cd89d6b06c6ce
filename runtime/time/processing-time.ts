// Processing time: a clock and a way to be called back at a time. Tasks route
// the callbacks through their mailbox, so a timer never runs in the middle of a record.

export interface ProcessingTimeClock {
  now(): number;
  /** Calls `callback` at or after `timestamp`; returns a cancel function. */
  schedule(timestamp: number, callback: () => void): () => void;
}

export const systemClock: ProcessingTimeClock = {
  now: () => Date.now(),
  schedule(timestamp, callback) {
    const timer = setTimeout(callback, Math.max(0, timestamp - Date.now()));
    return () => clearTimeout(timer);
  },
};

/**
 * A clock that moves only when told to, for deterministic tests of processing-time logic.
 *
 * @example
 * const clock = new ManualClock(0); env.setProcessingTimeClock(clock); clock.advanceTo(1000)
 */
export class ManualClock implements ProcessingTimeClock {
  private time: number;
  private pending: { at: number; callback: () => void; cancelled: boolean }[] = [];

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  schedule(timestamp: number, callback: () => void): () => void {
    const entry = { at: timestamp, callback, cancelled: false };
    // Already due: called once the caller is done, as the system clock's zero-delay timeout would.
    if (timestamp <= this.time) queueMicrotask(() => entry.cancelled || callback());
    else this.pending.push(entry);
    return () => void (entry.cancelled = true);
  }

  advanceTo(timestamp: number): void {
    this.time = Math.max(this.time, timestamp);
    const due = this.pending.filter((p) => p.at <= this.time && !p.cancelled).sort((a, b) => a.at - b.at);
    this.pending = this.pending.filter((p) => p.at > this.time && !p.cancelled);
    for (const entry of due) entry.callback();
  }
}
