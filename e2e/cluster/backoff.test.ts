// CrashLoopBackOff timing against the kubelet's: immediate first restart,
// doubling delays up to the maximum, a fresh start after a long quiet run.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextBackoff, restartDelay } from './backoff.ts';

test('back-off: the first restart is immediate, then the delay doubles up to the maximum', () => {
  const policy = { initialMs: 10_000, maxMs: 40_000 };
  let entry: ReturnType<typeof nextBackoff> | undefined;
  const delays: number[] = [];
  let now = 0;
  for (let i = 0; i < 6; i++) {
    const delay = restartDelay(entry, now, now, policy);
    delays.push(delay);
    now += delay;
    entry = nextBackoff(entry, now, policy);
    now += 100; // the container runs briefly and crashes again
  }
  assert.deepEqual(delays, [0, 10_000, 20_000, 40_000, 40_000, 40_000]);
});

test('back-off: a container that ran longer than twice the maximum restarts at once', () => {
  const policy = { initialMs: 10_000, maxMs: 40_000 };
  const entry = { delayMs: 40_000, updatedAt: 0 };
  assert.equal(restartDelay(entry, 80_001, 80_001, policy), 0);
  assert.equal(restartDelay(entry, 1_000, 31_000, policy), 10_000, 'time already waited counts');
  assert.deepEqual(nextBackoff(entry, 80_001, policy), { delayMs: 10_000, updatedAt: 80_001 });
});
