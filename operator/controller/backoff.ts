// Exponential backoff with a cap, for retries of failed reconciles, lists and
// watches: base × 2^(failures−1), never above the cap, with a little jitter
// so that many failing keys do not retry in lockstep.

export interface Backoff {
  baseMs: number;
  maxMs: number;
}

/** The delay before retry number `failures` (1 for the first retry). */
export function backoffDelayMs(
  failures: number,
  { baseMs, maxMs }: Backoff,
  random: () => number = Math.random,
): number {
  const exponential = baseMs * 2 ** Math.min(Math.max(failures - 1, 0), 30);
  const capped = Math.min(maxMs, exponential);
  // Up to 10 % less, never more: the cap stays a cap.
  return Math.round(capped * (1 - 0.1 * random()));
}
