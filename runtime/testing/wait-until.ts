// Polling for a condition in tests that watch a job while it runs, with a deadline.
import { setTimeout as delay } from 'node:timers/promises';

/** Resolves once `condition` holds, checking every few ms; rejects after `timeoutMs` naming `what`. */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * Calls `probe` (an API answer, a REST call) until `accept` holds for its result; returns that result, or
 * throws after `timeoutMs` naming `what` and the last value or error seen.
 */
export async function eventually<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (let wait = 20; ; wait = Math.min(500, wait * 2)) {
    try {
      last = await probe();
      lastError = undefined;
      if (accept(last)) return last;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const seen =
        lastError !== undefined ? `last error: ${(lastError as Error).message}` : `last seen: ${JSON.stringify(last)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}; ${seen}`);
    }
    await delay(wait);
  }
}
