// CrashLoopBackOff as the kubelet does it: the first restart is immediate, each
// next one waits twice as long (10 s, 20 s, ... up to 5 min), and a container
// that has not been restarted for twice the maximum starts afresh.

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

export const defaultBackoff: BackoffPolicy = { initialMs: 10_000, maxMs: 300_000 };

/** One container's back-off record: the current delay and when it was last used. */
export interface BackoffEntry {
  delayMs: number;
  updatedAt: number;
}

/** How long to wait after a container exited at `finishedAt` before starting it again. */
export function restartDelay(
  entry: BackoffEntry | undefined,
  finishedAt: number,
  now: number,
  policy: BackoffPolicy,
): number {
  if (!entry || finishedAt - entry.updatedAt > 2 * policy.maxMs) return 0;
  return Math.max(0, finishedAt + entry.delayMs - now);
}

/** The record after a restart at `now`. */
export function nextBackoff(entry: BackoffEntry | undefined, now: number, policy: BackoffPolicy): BackoffEntry {
  if (!entry || now - entry.updatedAt > 2 * policy.maxMs) return { delayMs: policy.initialMs, updatedAt: now };
  return { delayMs: Math.min(entry.delayMs * 2, policy.maxMs), updatedAt: now };
}
