// When a part file is closed ("rolled"): pure decisions over its size and age,
// as Flink's DefaultRollingPolicy. Every checkpoint also closes every part.
import type { RollingPolicy } from './options.ts';

export interface PartProgress {
  bytes: number;
  openedAt: number;
  lastWriteAt: number;
}

/** Before writing `recordBytes`: close the part if the record would take it past the limit, or it is too old. */
export function rollBeforeWrite(part: PartProgress, recordBytes: number, now: number, policy: RollingPolicy): boolean {
  return (
    (part.bytes > 0 && part.bytes + recordBytes > policy.maxPartSizeBytes) ||
    now - part.openedAt >= policy.rolloverIntervalMs
  );
}

/** On the periodic check: close a part that is idle or too old. */
export function rollOnTime(part: PartProgress, now: number, policy: RollingPolicy): boolean {
  return now - part.lastWriteAt >= policy.inactivityIntervalMs || now - part.openedAt >= policy.rolloverIntervalMs;
}
