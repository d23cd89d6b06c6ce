// Brook's error base: every failure the user can see carries a stable code and
// a message that names what went wrong and where (STYLE.md #7).
import { inspect } from 'node:util';

/**
 * Base class for Brook's typed errors. Subclasses fix `code`; callers branch on
 * `code` or `instanceof`, never on the message.
 *
 * @example
 * class CheckpointCorruptError extends BrookError {
 *   constructor(file: string, cause?: unknown) {
 *     super('BROOK_CHECKPOINT_CORRUPT', `checkpoint file ${file} is corrupt`, { cause })
 *   }
 * }
 */
export class BrookError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The message of an error followed by its causes, one per line, for logs and CLI output. */
export function describeCauseChain(error: unknown): string {
  const lines: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 10; depth++) {
    if (current instanceof Error) {
      lines.push(depth === 0 ? current.message : `caused by: ${current.message}`);
      current = current.cause;
    } else {
      lines.push(depth === 0 ? inspect(current) : `caused by: ${inspect(current)}`);
      current = undefined;
    }
  }
  return lines.join('\n');
}
