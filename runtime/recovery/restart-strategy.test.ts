// The restart decision, case by case: when each strategy restarts, with what
// delay, and when it gives up (and says why).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideRestart, initialRestartState, type RestartState, type RestartStrategy } from './restart-strategy.ts';

/** Feeds failures at the given times through the strategy; returns each decision's delay or give-up reason. */
function run(strategy: RestartStrategy, failureTimes: number[], random = () => 0.5): (number | string)[] {
  let state: RestartState = initialRestartState;
  return failureTimes.map((now) => {
    const decision = decideRestart(strategy, state, now, random);
    state = decision.state;
    return decision.restart ? decision.delayMs : decision.reason;
  });
}

test('none never restarts', () => {
  assert.deepEqual(run({ kind: 'none' }, [0]), ['the restart strategy is none']);
});

test('fixed-delay restarts `attempts` times with the same delay, then gives up', () => {
  assert.deepEqual(run({ kind: 'fixed-delay', attempts: 3, delayMs: 500 }, [0, 10, 20, 30]), [
    500,
    500,
    500,
    'fixed-delay restart strategy exhausted its 3 attempts',
  ]);
});

test('failure-rate gives up only when too many failures fall inside one interval', () => {
  const strategy: RestartStrategy = {
    kind: 'failure-rate',
    maxFailuresPerInterval: 2,
    failureRateIntervalMs: 1000,
    delayMs: 100,
  };
  // 0 and 500 are within 1 s; at 1600 only 1600 and nothing older than 600 counts; 1700 makes 2;
  // 1800 makes 3 within (800, 1800].
  assert.deepEqual(run(strategy, [0, 500, 1600, 1700, 1800]), [
    100,
    100,
    100,
    100,
    'failure-rate restart strategy: 3 failures within 1000 ms exceed the maximum of 2',
  ]);
});

const exponential: RestartStrategy = {
  kind: 'exponential-delay',
  initialBackoffMs: 100,
  maxBackoffMs: 1000,
  multiplier: 2,
  resetBackoffThresholdMs: 10_000,
  jitterFactor: 0,
  attemptsBeforeResetBackoff: 100,
};

test('exponential-delay doubles the backoff on quick successive failures up to the maximum', () => {
  assert.deepEqual(run(exponential, [0, 1, 2, 3, 4, 5, 6]), [100, 200, 400, 800, 1000, 1000, 1000]);
});

test('exponential-delay starts again from the initial backoff after a quiet period of the reset threshold', () => {
  assert.deepEqual(run(exponential, [0, 1, 2, 20_002, 20_003]), [100, 200, 400, 100, 200]);
});

test('exponential-delay jitter stays within ± jitterFactor of the backoff', () => {
  const strategy = { ...exponential, jitterFactor: 0.25 };
  assert.deepEqual(
    run(strategy, [0], () => 0),
    [75],
  );
  assert.deepEqual(
    run(strategy, [0], () => 0.999_999),
    [125],
  );
});

test('exponential-delay gives up after attemptsBeforeResetBackoff quick failures, but not after a reset', () => {
  const strategy = { ...exponential, attemptsBeforeResetBackoff: 2 };
  assert.deepEqual(run(strategy, [0, 1, 2]), [100, 200, 'exponential-delay restart strategy exhausted its 2 attempts']);
  assert.deepEqual(run(strategy, [0, 1, 50_000]), [100, 200, 100]);
});
