// Typed errors of the Kafka connector (STYLE.md #7): configuration, broker
// operations and transactions, each naming what failed and where.
import { BrookError } from '../../errors.ts';

/** A connector configuration that does not validate; the message names every bad field. */
export class KafkaConfigError extends BrookError {
  constructor(what: string, issues: string[]) {
    super('BROOK_KAFKA_CONFIG', `invalid ${what} configuration: ${issues.join('; ')}`);
  }
}

/**
 * The brokers an operation talked to, for its message: a timed-out request says
 * only "Request timed out", and a job may use several clusters.
 */
const on = (brokers: readonly string[] | undefined) => (brokers?.length ? ` on ${brokers.join(',')}` : '');

/** A broker operation that failed after its retries; `brokers` are the bootstrap servers it used. */
export class KafkaOperationError extends BrookError {
  constructor(operation: string, cause: unknown, brokers?: readonly string[]) {
    super('BROOK_KAFKA_OPERATION', `Kafka ${operation} failed${on(brokers)}: ${describeKafkaError(cause)}`, {
      cause,
    });
  }
}

/** A transaction could not be committed for a reason other than the ones Flink also tolerates. */
export class KafkaTransactionError extends BrookError {
  constructor(transactionalId: string, action: string, cause: unknown, brokers?: readonly string[]) {
    super(
      'BROOK_KAFKA_TRANSACTION',
      `Kafka transaction ${transactionalId}: ${action} failed${on(brokers)}: ${describeKafkaError(cause)}`,
      { cause },
    );
  }
}

/** The protocol error names (`PRODUCER_FENCED`, ...) inside a @platformatic/kafka error. */
export function protocolErrorIds(error: unknown): string[] {
  const ids: string[] = [];
  const visit = (e: unknown, depth: number): void => {
    if (!e || typeof e !== 'object' || depth > 5) return;
    const apiId = (e as { apiId?: unknown }).apiId;
    if (typeof apiId === 'string') ids.push(apiId);
    for (const inner of (e as { errors?: unknown[] }).errors ?? []) visit(inner, depth + 1);
    visit((e as { cause?: unknown }).cause, depth + 1);
  };
  visit(error, 0);
  return ids;
}

/**
 * The message of a client error, with the protocol error names inside it or,
 * when there are none, the innermost cause: a retried operation says only
 * "metadata failed 3 times.", its last attempt says why (connect ECONNREFUSED 127.0.0.1:9092).
 */
export function describeKafkaError(error: unknown): string {
  const ids = protocolErrorIds(error);
  const message = error instanceof Error ? error.message : String(error);
  if (ids.length > 0) return `${message} (${[...new Set(ids)].join(', ')})`;
  const root = innermostCause(error);
  return root instanceof Error && root !== error && root.message !== message ? `${message} (${root.message})` : message;
}

/** Follows the last of `errors` (the last attempt of a retried operation) or `cause` down to the end. */
function innermostCause(error: unknown): unknown {
  let e = error;
  for (let depth = 0; depth < 10 && e && typeof e === 'object'; depth++) {
    const inner = (e as { errors?: unknown[] }).errors;
    const next = Array.isArray(inner) && inner.length > 0 ? inner[inner.length - 1] : (e as { cause?: unknown }).cause;
    if (next === undefined || next === null) break;
    e = next;
  }
  return e;
}
