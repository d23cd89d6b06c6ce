// A JobManager that keeps failing at start never answers on REST, so no job
// state would ever say so: its failing container (from the pods) makes the
// job FAILED, with the container's reason, exit code and last words as cause.
import { readOperatorSettings, defaultOperatorSettings } from '../resource/operator-settings.ts';
import type { Observation } from './observation.ts';
import type { Context } from './context.ts';

/** The failure of job `jobId`'s JobManager, or undefined while it may still come up. */
export function jobManagerCrashLoop(observation: Observation, jobId: string, maxRestarts: number): string | undefined {
  const { jobManager, rest } = observation;
  if (!jobManager.exists || jobManager.ready || rest?.job?.id === jobId) return undefined;
  const failing = jobManager.failingContainer;
  // Pods of the job this one replaced may linger (terminating) with their own restarts.
  if (!failing || failing.jobId !== jobId || failing.restarts < maxRestarts) return undefined;
  const exit = failing.exitCode !== undefined ? `, last exit code ${failing.exitCode}` : '';
  const what = `JobManager container ${failing.container} of pod ${failing.pod} is failing (${failing.reason}${exit}, ${failing.restarts} restarts)`;
  return failing.message !== undefined ? `${what}: ${failing.message}` : what;
}

/** The crash-loop threshold of the spec in force; decide() reads the settings only after observing. */
export function crashLoopRestarts(ctx: Context): number {
  try {
    return readOperatorSettings(ctx.spec.config).jobManagerCrashLoopRestarts;
  } catch {
    return defaultOperatorSettings.jobManagerCrashLoopRestarts; // the refused spec is reported by acceptSpec
  }
}
