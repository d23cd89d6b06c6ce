// Restart strategies (Flink's none, fixed-delay, exponential-delay,
// failure-rate) as a pure decision: given the strategy, what happened so far
// and a new failure, restart after a delay or give up. The job's failover
// loop applies the decision; tests enumerate it.

export type RestartStrategy =
  | { kind: 'none' }
  | { kind: 'fixed-delay'; attempts: number; delayMs: number }
  | {
      kind: 'exponential-delay';
      initialBackoffMs: number;
      maxBackoffMs: number;
      multiplier: number;
      /** A failure this long after the previous one starts again from the initial backoff. */
      resetBackoffThresholdMs: number;
      /** The delay varies by up to ± this fraction, so many jobs do not retry in lockstep. */
      jitterFactor: number;
      /** Restarts allowed before giving up, counted since the last reset. */
      attemptsBeforeResetBackoff: number;
    }
  | { kind: 'failure-rate'; maxFailuresPerInterval: number; failureRateIntervalMs: number; delayMs: number };

/** What the strategy remembers between failures; start from `initialRestartState`. */
export interface RestartState {
  /** Restarts granted (since the last backoff reset, for exponential-delay). */
  attempts: number;
  /** Times of the failures seen, newest last (failure-rate keeps only those inside the interval). */
  failureTimes: number[];
  /** The backoff of the last granted restart (exponential-delay). */
  backoffMs: number | undefined;
}

export const initialRestartState: RestartState = { attempts: 0, failureTimes: [], backoffMs: undefined };

export type RestartDecision =
  { restart: true; delayMs: number; state: RestartState } | { restart: false; reason: string; state: RestartState };

/**
 * Decides what to do about a failure at `now`. `random` returns a number in
 * [0, 1) (only exponential-delay's jitter uses it).
 */
export function decideRestart(
  strategy: RestartStrategy,
  state: RestartState,
  now: number,
  random: () => number = Math.random,
): RestartDecision {
  switch (strategy.kind) {
    case 'none':
      return { restart: false, reason: 'the restart strategy is none', state };

    case 'fixed-delay': {
      if (state.attempts >= strategy.attempts) {
        return {
          restart: false,
          reason: `fixed-delay restart strategy exhausted its ${strategy.attempts} attempts`,
          state,
        };
      }
      return {
        restart: true,
        delayMs: strategy.delayMs,
        state: { ...state, attempts: state.attempts + 1, failureTimes: [...state.failureTimes, now] },
      };
    }

    case 'failure-rate': {
      const windowStart = now - strategy.failureRateIntervalMs;
      const recent = [...state.failureTimes.filter((t) => t > windowStart), now];
      const next = { ...state, attempts: state.attempts + 1, failureTimes: recent };
      if (recent.length > strategy.maxFailuresPerInterval) {
        return {
          restart: false,
          reason: `failure-rate restart strategy: ${recent.length} failures within ${strategy.failureRateIntervalMs} ms exceed the maximum of ${strategy.maxFailuresPerInterval}`,
          state: next,
        };
      }
      return { restart: true, delayMs: strategy.delayMs, state: next };
    }

    case 'exponential-delay': {
      const previous = state.failureTimes.at(-1);
      const reset = previous === undefined || now - previous >= strategy.resetBackoffThresholdMs;
      const attempts = reset ? 0 : state.attempts;
      if (attempts >= strategy.attemptsBeforeResetBackoff) {
        return {
          restart: false,
          reason: `exponential-delay restart strategy exhausted its ${strategy.attemptsBeforeResetBackoff} attempts`,
          state: { ...state, failureTimes: [now] },
        };
      }
      const backoff =
        reset || state.backoffMs === undefined
          ? strategy.initialBackoffMs
          : Math.min(state.backoffMs * strategy.multiplier, strategy.maxBackoffMs);
      const jitter = backoff * strategy.jitterFactor * (2 * random() - 1);
      const delayMs = Math.max(0, Math.min(strategy.maxBackoffMs, Math.round(backoff + jitter)));
      return { restart: true, delayMs, state: { attempts: attempts + 1, failureTimes: [now], backoffMs: backoff } };
    }
  }
}

/** Flink's defaults for each strategy, used where configuration gives only the type. */
export const restartStrategyDefaults = {
  'fixed-delay': { kind: 'fixed-delay', attempts: 1, delayMs: 1000 },
  'exponential-delay': {
    kind: 'exponential-delay',
    initialBackoffMs: 1000,
    maxBackoffMs: 60_000,
    multiplier: 1.5,
    resetBackoffThresholdMs: 3_600_000,
    jitterFactor: 0.1,
    attemptsBeforeResetBackoff: Number.MAX_SAFE_INTEGER,
  },
  'failure-rate': { kind: 'failure-rate', maxFailuresPerInterval: 1, failureRateIntervalMs: 60_000, delayMs: 1000 },
} as const satisfies Record<string, RestartStrategy>;
