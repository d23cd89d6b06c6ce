// A failure inside user code, with the operator, the key and the record that
// caused it, so the job's failure points straight at the culprit.
import { inspect } from 'node:util';
import { BrookError } from '../errors.ts';
import type { Key } from '../state/key.ts';

export class UserFunctionError extends BrookError {
  readonly operatorName: string;
  readonly key: Key | undefined;

  constructor(operatorName: string, key: Key | undefined, what: string, cause: unknown) {
    const keyPart = key === undefined ? '' : ` for key ${inspect(key)}`;
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('BROOK_USER_FUNCTION_FAILED', `operator '${operatorName}' failed${keyPart} ${what}: ${reason}`, { cause });
    this.operatorName = operatorName;
    this.key = key;
  }
}

export function describeRecord(value: unknown): string {
  const text = inspect(value, { depth: 2, breakLength: Infinity });
  return `on record ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`;
}

/** Wraps `error` as a UserFunctionError of `operator` unless an inner operator already did. */
export function annotate(
  error: unknown,
  operator: { name: string; currentKey(): Key | undefined },
  what: string,
): UserFunctionError {
  if (error instanceof UserFunctionError) return error;
  return new UserFunctionError(operator.name, operator.currentKey(), what, error);
}
