// The Redis sink's typed errors: each names the sink and, where there is one,
// the command and key, so a failed job says what it could not write.
import { BrookError } from '../../errors.ts';

export class RedisSinkConfigError extends BrookError {
  constructor(sinkName: string, detail: string) {
    super('BROOK_REDIS_SINK_CONFIG', `redis sink '${sinkName}': invalid options: ${detail}`);
  }
}

export class RedisSinkConnectionError extends BrookError {
  constructor(sinkName: string, target: string, detail: string, options?: { cause?: unknown }) {
    super('BROOK_REDIS_SINK_CONNECTION', `redis sink '${sinkName}': ${detail} (${target})`, options);
  }
}

export class RedisSinkCommandError extends BrookError {
  constructor(
    sinkName: string,
    readonly command: string,
    readonly key: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super('BROOK_REDIS_SINK_COMMAND', `redis sink '${sinkName}': ${command} ${key} failed: ${reason}`, options);
  }
}

/** Redis held a batch on an open connection and did not answer in time (the cause of a RedisSinkCommandError). */
export class RedisSinkTimeoutError extends BrookError {
  constructor(target: string, timeoutMs: number, commands: number) {
    super(
      'BROOK_REDIS_SINK_TIMEOUT',
      `no answer from ${target} within ${timeoutMs} ms to a batch of ${commands} command${commands === 1 ? '' : 's'} ` +
        `on an open connection (commandTimeoutMs)`,
    );
  }
}

/** A command whose replay after a restore would apply twice, used without `allowNonIdempotentCommands`. */
export class NonIdempotentCommandError extends BrookError {
  constructor(sinkName: string, command: string, key: string, why: string) {
    super(
      'BROOK_REDIS_SINK_NON_IDEMPOTENT',
      `redis sink '${sinkName}': ${command} ${key} is not safe to replay after a restore (${why}); ` +
        `records since the last checkpoint would apply it twice. Use an idempotent command, ` +
        `or set allowNonIdempotentCommands: true to accept at-least-once effects`,
    );
  }
}

/** A record mapped to something that is not a valid command. */
export class RedisCommandInvalidError extends BrookError {
  constructor(sinkName: string, detail: string) {
    super('BROOK_REDIS_SINK_BAD_COMMAND', `redis sink '${sinkName}': the command mapping returned ${detail}`);
  }
}
