// Job state decisions, pure: which state changes are allowed (Flink's JobStatus
// graph), which state a job ends in, and how a failure is recorded.
import { inspect } from 'node:util';
import type { ExceptionRecord, JobState } from './jobs-backend.ts';
import { terminalJobStates } from './jobs-backend.ts';

const allowed: Readonly<Record<JobState, readonly JobState[]>> = {
  CREATED: ['RUNNING', 'FAILING', 'FAILED', 'CANCELLING', 'CANCELED', 'SUSPENDED'],
  RUNNING: ['RESTARTING', 'FAILING', 'FAILED', 'CANCELLING', 'CANCELED', 'FINISHED', 'SUSPENDED'],
  RESTARTING: ['RUNNING', 'FAILING', 'FAILED', 'CANCELLING', 'CANCELED', 'SUSPENDED'],
  FAILING: ['RESTARTING', 'FAILED', 'CANCELLING', 'CANCELED'],
  // A job can end by itself while its cancellation is under way.
  CANCELLING: ['CANCELED', 'FAILED', 'FINISHED'],
  FAILED: [],
  CANCELED: [],
  FINISHED: [],
  SUSPENDED: [],
};

/** Whether a job in state `from` may move to `to`; terminal states are final. */
export function canTransition(from: JobState, to: JobState): boolean {
  return allowed[from].includes(to);
}

export function isTerminal(state: JobState): boolean {
  return terminalJobStates.has(state);
}

export type JobOutcome = 'finished' | 'cancelled' | 'failed';

/**
 * The terminal state of a job that ended with `outcome`. A job whose
 * cancellation was requested ends CANCELED even when its last step was a
 * savepoint that stopped it (Flink's cancel-with-savepoint).
 */
export function terminalStateFor(current: JobState, outcome: JobOutcome): JobState {
  if (outcome === 'failed') return 'FAILED';
  if (outcome === 'cancelled') return 'CANCELED';
  return current === 'CANCELLING' ? 'CANCELED' : 'FINISHED';
}

/** A failure as the exception history shows it: name (or Brook code), message, stack with causes. */
export function exceptionRecordOf(
  error: unknown,
  timestamp: number,
  where: { taskName?: string; location?: string } = {},
): ExceptionRecord {
  const top = error instanceof Error ? error : new Error(String(error));
  const code = (top as { code?: unknown }).code;
  return {
    exceptionName: typeof code === 'string' ? code : top.name,
    message: top.message,
    stacktrace: stackWithCauses(error),
    timestamp,
    taskName: where.taskName ?? operatorNameIn(error),
    location: where.location,
  };
}

function stackWithCauses(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 10; depth++) {
    const text = current instanceof Error ? (current.stack ?? `${current.name}: ${current.message}`) : inspect(current);
    parts.push(depth === 0 ? text : `Caused by: ${text}`);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join('\n');
}

/** The operator a user-function failure names (UserFunctionError carries it), anywhere in the cause chain. */
function operatorNameIn(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 10; depth++) {
    const name = (current as { operatorName?: unknown }).operatorName;
    if (typeof name === 'string') return name;
    current = current.cause;
  }
  return undefined;
}
