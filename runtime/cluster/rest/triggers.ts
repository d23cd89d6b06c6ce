// Savepoint and stop operations by trigger id, as Flink's asynchronous
// operations: a trigger answers with an id at once, the result is polled.
// Retrying with the same client-chosen triggerId gives the same operation
// (Flink 1.17+). Results are kept for a bounded time and count.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobState } from '../jobs-backend.ts';
import { exceptionRecordOf } from '../job-status.ts';

export type OperationKind = 'savepoint' | 'stop';

export interface Operation {
  jobId: string;
  triggerId: string;
  kind: OperationKind;
  status: 'IN_PROGRESS' | 'COMPLETED';
  /** Where the savepoint is, once completed successfully. */
  location?: string;
  /** Why it failed, once completed unsuccessfully. */
  failure?: { class: string; message: string; stackTrace: string };
  createdAt: number;
  completedAt?: number;
  /** A client has been answered with the result. */
  delivered: boolean;
}

export type TriggerDecision =
  { kind: 'start' } | { kind: 'existing'; operation: Operation } | { kind: 'conflict'; message: string };

/**
 * Whether a savepoint or stop request starts an operation, returns an
 * existing one (a retry with the same triggerId) or is refused (HTTP 409):
 * one operation per job at a time, and only while the job runs.
 */
export function decideTrigger(request: {
  jobId: string;
  jobState: JobState;
  kind: OperationKind;
  triggerId: string | undefined;
  /** The job's operations still held. */
  operations: readonly Operation[];
}): TriggerDecision {
  const { jobId, jobState, kind, triggerId, operations } = request;
  const same = triggerId === undefined ? undefined : operations.find((o) => o.triggerId === triggerId);
  if (same) {
    if (same.kind === kind) return { kind: 'existing', operation: same };
    return { kind: 'conflict', message: `trigger id ${triggerId} of job ${jobId} is a ${same.kind}, not a ${kind}` };
  }
  const running = operations.find((o) => o.status === 'IN_PROGRESS');
  if (running) {
    return {
      kind: 'conflict',
      message: `a ${running.kind} of job ${jobId} is in progress (trigger id ${running.triggerId}); wait for it to complete`,
    };
  }
  if (jobState !== 'RUNNING') {
    return { kind: 'conflict', message: `job ${jobId} is not running (state ${jobState}): no ${kind} possible` };
  }
  return { kind: 'start' };
}

/** Which completed operations to drop: older than `retentionMs`, then the oldest beyond `maxCompleted`. */
export function expiredOperations(
  operations: readonly Operation[],
  now: number,
  limits: { retentionMs: number; maxCompleted: number },
): Operation[] {
  const completed = operations
    .filter((o) => o.status === 'COMPLETED')
    .sort((a, b) => (a.completedAt ?? 0) - (b.completedAt ?? 0));
  const expired = completed.filter((o) => now - (o.completedAt ?? now) > limits.retentionMs);
  const kept = completed.filter((o) => !expired.includes(o));
  return [...expired, ...kept.slice(0, Math.max(0, kept.length - limits.maxCompleted))];
}

export function newTriggerId(): string {
  return randomBytes(16).toString('hex');
}

export interface TriggerStoreOptions {
  /** How long a result is kept after completion (Flink's rest.async.store-duration: 5 min). */
  retentionMs?: number;
  /** Completed results kept at most. */
  maxCompleted?: number;
  now?: () => number;
}

export class TriggerStore {
  private readonly operations = new Map<string, Operation>();
  private readonly retentionMs: number;
  private readonly maxCompleted: number;
  private readonly now: () => number;

  constructor(options: TriggerStoreOptions = {}) {
    this.retentionMs = options.retentionMs ?? 300_000;
    this.maxCompleted = options.maxCompleted ?? 1000;
    this.now = options.now ?? Date.now;
  }

  /** The operations of `jobId` still held. */
  operationsOf(jobId: string): Operation[] {
    this.sweep();
    return [...this.operations.values()].filter((o) => o.jobId === jobId);
  }

  /** The operation, if held; reading a completed one marks its result delivered. */
  read(jobId: string, triggerId: string): Operation | undefined {
    this.sweep();
    const operation = this.operations.get(key(jobId, triggerId));
    if (operation?.status === 'COMPLETED') operation.delivered = true;
    return operation && { ...operation };
  }

  /** Registers an operation and runs it; its result is recorded when `run` settles. */
  start(jobId: string, kind: OperationKind, triggerId: string | undefined, run: () => Promise<string>): Operation {
    const operation: Operation = {
      jobId,
      triggerId: triggerId ?? newTriggerId(),
      kind,
      status: 'IN_PROGRESS',
      createdAt: this.now(),
      delivered: false,
    };
    this.operations.set(key(jobId, operation.triggerId), operation);
    const settle = (result: { location: string } | { error: unknown }) => {
      operation.status = 'COMPLETED';
      operation.completedAt = this.now();
      if ('location' in result) operation.location = result.location;
      else {
        const record = exceptionRecordOf(result.error, operation.completedAt);
        operation.failure = { class: record.exceptionName, message: record.message, stackTrace: record.stacktrace };
      }
    };
    // `run` may throw synchronously; either way the operation completes with the failure.
    Promise.resolve()
      .then(run)
      .then(
        (location) => settle({ location }),
        (error: unknown) => settle({ error }),
      );
    return { ...operation };
  }

  /**
   * Resolves once every operation completed and its result was read by a
   * client (or dropped), or after `timeoutMs`: a process whose job ended
   * waits for this before closing the API, so a client polling a stop still
   * gets its answer.
   */
  async whenResultsDelivered(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const pending = () => [...this.operations.values()].some((o) => o.status === 'IN_PROGRESS' || !o.delivered);
    while (pending() && Date.now() < deadline) await sleep(20);
  }

  private sweep(): void {
    const expired = expiredOperations([...this.operations.values()], this.now(), {
      retentionMs: this.retentionMs,
      maxCompleted: this.maxCompleted,
    });
    for (const operation of expired) this.operations.delete(key(operation.jobId, operation.triggerId));
  }
}

function key(jobId: string, triggerId: string): string {
  return `${jobId}/${triggerId}`;
}
