// How an error appears in a log line: its type, code, message and stack, then
// its cause chain (Error.cause) and the errors of an AggregateError, nested,
// with secrets masked in every part (runtime/logging/secrets.ts).
import { inspect } from 'node:util';
import { maskedCopy, maskUrlPasswords } from './secrets.ts';

export interface SerializedError {
  type: string;
  message: string;
  code?: string | number;
  stack?: string;
  cause?: SerializedError;
  /** An AggregateError's errors. */
  errors?: SerializedError[];
  [property: string]: unknown;
}

/** Causes deeper than this are summarised: a chain that long is a loop or a bug. */
const MAX_DEPTH = 8;

const structural = new Set(['name', 'message', 'stack', 'cause', 'errors', 'code']);

/**
 * The error as a log line's `err` field. Not an Error (a thrown string, a
 * rejected object) is described by `inspect`.
 *
 * @example
 * serializeError(new Error('commit failed', { cause: new Error('broker gone') }))
 * // { type: 'Error', message: 'commit failed', stack: '...', cause: { type: 'Error', message: 'broker gone', ... } }
 */
export function serializeError(error: unknown, depth = 0, seen = new WeakSet<object>()): SerializedError {
  if (!(error instanceof Error)) {
    return { type: typeof error, message: maskUrlPasswords(inspect(error, { depth: 2, breakLength: Infinity })) };
  }
  if (seen.has(error)) return { type: error.name, message: '[Circular cause]' };
  seen.add(error);
  const serialized: SerializedError = {
    type: error.name !== 'Error' ? error.name : error.constructor.name,
    message: maskUrlPasswords(error.message),
  };
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') serialized.code = code;
  if (error.stack !== undefined) serialized.stack = maskUrlPasswords(error.stack);
  for (const [key, value] of Object.entries(error)) {
    if (structural.has(key)) continue;
    const copy = maskedCopy(value, key);
    if (copy !== undefined) serialized[key] = copy;
  }
  if (depth >= MAX_DEPTH) return serialized;
  if (error.cause !== undefined) serialized.cause = serializeError(error.cause, depth + 1, seen);
  const errors = (error as { errors?: unknown }).errors;
  if (Array.isArray(errors)) serialized.errors = errors.map((e) => serializeError(e, depth + 1, seen));
  return serialized;
}
