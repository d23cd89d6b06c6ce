// A usage or configuration mistake on the command line: one line, exit code 2.
import { BrookError } from '../runtime/errors.ts';

export class UsageError extends BrookError {
  constructor(message: string) {
    super('BROOK_USAGE', message);
  }
}

/** Exit code for usage and configuration errors (DESIGN.md, "The CLI"). */
export const USAGE_EXIT_CODE = 2;
