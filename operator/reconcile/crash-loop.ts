// A JobManager that keeps failing at start, or cannot be started at all,
// never answers on REST, so no job state would ever say so: its failing
// container (from the pods) makes the job FAILED, with the container's reason,
// exit code and last words as cause.
import { readOperatorSettings, defaultOperatorSettings } from '../resource/operator-settings.ts';
import type { Observation } from './observation.ts';
import type { Context, JobManagerFailure } from './context.ts';

/** When a failing JobManager container counts as the job's failure. */
export interface JobManagerFailureLimits {
  /** Restarts of a crash-looping container. */
  maxRestarts: number;
  /** How long a container that cannot start may wait before it counts (0: at once). */
  cannotStartGraceMs: number;
}

/** The failure of job `jobId`'s JobManager, or undefined while it may still come up. */
export function jobManagerFailure(
  observation: Observation,
  jobId: string,
  limits: JobManagerFailureLimits,
): JobManagerFailure | undefined {
  const { jobManager, rest } = observation;
  if (!jobManager.exists || jobManager.ready || rest?.job?.id === jobId) return undefined;
  const failing = jobManager.failingContainer;
  // Pods of the job this one replaced may linger (terminating) with their own restarts.
  if (!failing || failing.jobId !== jobId) return undefined;
  const where = `JobManager container ${failing.container} of pod ${failing.pod}`;
  const withMessage = (what: string) => (failing.message !== undefined ? `${what}: ${failing.message}` : what);
  // Waiting on an image or a missing reference passes only with a change, so no restart will ever be
  // counted; but it often passes by itself at first (a registry's hiccup, a Secret applied a moment later),
  // so it counts only once it has lasted the grace period. Without a start time it is never counted here:
  // the readiness timeout still applies.
  if (failing.cannotStart) {
    const waitedMs = failing.waitingSince === undefined ? -Infinity : observation.now - failing.waitingSince;
    if (limits.cannotStartGraceMs > 0 && waitedMs < limits.cannotStartGraceMs) return undefined;
    return { reason: 'JobManagerCannotStart', cause: withMessage(`${where} cannot start (${failing.reason})`) };
  }
  if (failing.restarts < limits.maxRestarts) return undefined;
  const exit = failing.exitCode !== undefined ? `, last exit code ${failing.exitCode}` : '';
  return {
    reason: 'JobManagerCrashLoop',
    cause: withMessage(`${where} is failing (${failing.reason}${exit}, ${failing.restarts} restarts)`),
  };
}

/** The reason a FAILED job's error, condition and Event give. */
export function failedJobReason(ctx: Context): JobManagerFailure['reason'] | 'JobFailed' {
  return ctx.jobManagerFailure?.reason ?? 'JobFailed';
}

/** The limits of the spec in force; decide() reads the settings only after observing. */
export function jobManagerFailureLimits(ctx: Context): JobManagerFailureLimits {
  let settings = defaultOperatorSettings;
  try {
    settings = readOperatorSettings(ctx.spec.config);
  } catch {
    // the refused spec is reported by acceptSpec; the defaults apply meanwhile
  }
  return {
    maxRestarts: settings.jobManagerCrashLoopRestarts,
    cannotStartGraceMs: settings.jobManagerCannotStartGraceMs,
  };
}
