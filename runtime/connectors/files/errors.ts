// The file sink's typed errors: each names the sink and the file or field.
import { BrookError } from '../../errors.ts';

export class FileSinkConfigError extends BrookError {
  constructor(sinkName: string, detail: string) {
    super('BROOK_FILE_SINK_CONFIG', `file sink '${sinkName}': invalid options: ${detail}`);
  }
}

/** A record the sink cannot place or encode (no timestamp for event-time buckets, a bad bucket id). */
export class FileSinkRecordError extends BrookError {
  constructor(sinkName: string, detail: string, options?: { cause?: unknown }) {
    super('BROOK_FILE_SINK_RECORD', `file sink '${sinkName}': ${detail}`, options);
  }
}

export class FileSinkWriteError extends BrookError {
  constructor(sinkName: string, action: string, uri: string, options?: { cause?: unknown }) {
    const reason = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super('BROOK_FILE_SINK_WRITE', `file sink '${sinkName}': cannot ${action} ${uri}${reason}`, options);
  }
}

/** A committable could not be made visible, and it was not visible already. */
export class FileSinkCommitError extends BrookError {
  constructor(sinkName: string, uri: string, detail: string, options?: { cause?: unknown }) {
    super('BROOK_FILE_SINK_COMMIT', `file sink '${sinkName}': cannot commit ${uri}: ${detail}`, options);
  }
}
