// The one error testenv raises: which service, why, and where to look.
import { BrookError } from '../../runtime/errors.ts';

export class TestenvError extends BrookError {
  readonly service: string;
  readonly logFile: string | undefined;

  constructor(service: string, reason: string, options: { logFile?: string; cause?: unknown } = {}) {
    const where = options.logFile ? ` (log: ${options.logFile})` : '';
    super('BROOK_TESTENV_SERVICE', `testenv: ${service}: ${reason}${where}`, { cause: options.cause });
    this.service = service;
    this.logFile = options.logFile;
  }
}
