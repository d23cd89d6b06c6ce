// Waiting in tests for an asynchronous condition (an API answer, a REST call),
// with a deadline and the last value seen in the error.
import { setTimeout as delay } from 'node:timers/promises';

/** Calls `probe` until `accept` holds for its result; returns that result, or throws after `timeoutMs` naming `what`. */
export async function eventually<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  what: string,
  timeoutMs = 30_000,
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
