// The Redis sink: maps each record to commands, sends them in pipelined
// batches (on size, after a short linger, and at every checkpoint barrier), and
// bounds the batches in flight so a slow Redis slows the sources. It relies on
// idempotent commands for exactly-once effects; see commands.ts.
import type { Sink, SinkContext, SinkInitContext, SinkWriter } from '../sink.ts';
import {
  compareStreamIds,
  invalidCommand,
  replaySafety,
  toArguments,
  whyUnsafe,
  type RedisCommand,
  type RedisValue,
} from './commands.ts';
import { openRedisConnection, type RedisConnection } from './connection.ts';
import {
  NonIdempotentCommandError,
  RedisCommandInvalidError,
  RedisSinkCommandError,
  RedisSinkTimeoutError,
} from './errors.ts';
import { parseRedisSinkOptions, type ParsedRedisSinkConfig, type RedisSinkConfig } from './options.ts';

export interface RedisSinkOptions<T> extends RedisSinkConfig {
  /** Maps a record to the commands that write it, applied in order (keys without `keyPrefix`). */
  commands: (record: T, context: SinkContext) => readonly RedisCommand[];
}

/**
 * A sink writing each record as Redis commands, pipelined.
 *
 * @example
 * stream.sinkTo(redisSink<Recs>({
 *   url: 'redis://127.0.0.1:6379',
 *   keyPrefix: 'recs:',
 *   commands: (r) => [
 *     { command: 'ZADD', key: r.user, members: r.items.map((i) => ({ member: i.id, score: i.score })) },
 *     keepTop(r.user, 10),
 *     { command: 'EXPIRE', key: r.user, seconds: 3600 },
 *   ],
 * }))
 */
export function redisSink<T>(options: RedisSinkOptions<T>): Sink<T> {
  const { commands, ...rest } = options;
  const config = parseRedisSinkOptions(rest);
  if (typeof commands !== 'function')
    throw new RedisCommandInvalidError(config.name, 'nothing: options.commands must be a function of the record');
  return {
    async createWriter(context) {
      return new RedisSinkWriter(config, commands, await openRedisConnection(config), context);
    },
  };
}

interface QueuedCommand {
  command: RedisCommand;
  args: RedisValue[];
}

/** ioredis's errors for commands lost with their connection (safe to send again: the sink's commands replay). */
function isDropped(error: unknown): boolean {
  return error instanceof Error && /connection (is )?closed?|aborted due to connection/i.test(error.message);
}

class RedisSinkWriter<T> implements SinkWriter<T> {
  private batch: QueuedCommand[] = [];
  private recordsInBatch = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private failure: Error | undefined;
  private linger: NodeJS.Timeout | undefined;
  private readonly sinkName: string;

  constructor(
    private readonly config: ParsedRedisSinkConfig,
    private readonly map: RedisSinkOptions<T>['commands'],
    private readonly connection: RedisConnection,
    context: SinkInitContext,
  ) {
    this.sinkName = context.parallelism > 1 ? `${config.name} (subtask ${context.subtaskIndex})` : config.name;
  }

  write(value: T, context: SinkContext): void | Promise<void> {
    if (this.failure) throw this.failure;
    for (const command of this.map(value, context)) this.batch.push(this.queue(command));
    if (++this.recordsInBatch >= this.config.batchSize) this.send();
    else this.linger ??= setTimeout(() => this.send(), this.config.lingerMs);
    if (this.inFlight.size >= this.config.maxInFlightBatches) return this.waitForSlot();
  }

  private queue(command: RedisCommand): QueuedCommand {
    const invalid = invalidCommand(command);
    if (invalid) throw new RedisCommandInvalidError(this.sinkName, invalid);
    const key = this.config.keyPrefix + command.key;
    if (replaySafety(command) === 'unsafe' && !this.config.allowNonIdempotentCommands)
      throw new NonIdempotentCommandError(this.sinkName, command.command, key, whyUnsafe(command));
    return { command, args: toArguments(command, key) };
  }

  /** Sends the current batch as one pipeline (or MULTI/EXEC); its outcome is checked when it answers. */
  private send(): void {
    clearTimeout(this.linger);
    this.linger = undefined;
    if (this.batch.length === 0) return;
    const batch = this.batch;
    this.batch = [];
    this.recordsInBatch = 0;
    // ioredis looks commands up as (lower-case) methods.
    const argv = batch.map(({ args: [name, ...rest] }) => [String(name).toLowerCase(), ...rest]);
    const done = this.execWithResend(argv)
      .then((results) => this.check(batch, results))
      .catch((error: unknown) => void (this.failure ??= this.commandError(batch[0]!, error)))
      .finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
  }

  /**
   * A batch written just before the connection dropped is aborted by ioredis rather than
   * resent; the sink's commands are replay-safe, so it goes again once the client reconnected,
   * until the connection is given up.
   */
  private async execWithResend(argv: (string | number | Buffer)[][]): Promise<[Error | null, unknown][] | null> {
    for (let attempt = 1; ; attempt++) {
      const client = this.connection.client;
      const pipeline = this.config.transactional ? client.multi(argv) : client.pipeline(argv);
      try {
        const results = await this.connection.answered(pipeline.exec(), argv.length);
        // A pipeline cut by the drop resolves with its unsent commands aborted one by one: the batch goes again.
        const aborted = results?.find(([error]) => error !== null && isDropped(error))?.[0];
        if (!aborted || this.connection.gaveUp() || attempt >= 50) return results;
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 10 * 2 ** Math.min(attempt, 6))));
      } catch (error) {
        // A hung Redis is not a dropped connection: sending again on the same socket would wait as long.
        const dropped = !(error instanceof RedisSinkTimeoutError) && isDropped(error);
        if (!dropped || this.connection.gaveUp() || attempt >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 10 * 2 ** Math.min(attempt, 6))));
      }
    }
  }

  private async check(batch: QueuedCommand[], results: [Error | null, unknown][] | null): Promise<void> {
    if (results === null) throw new Error('the transaction was aborted');
    for (const [i, [error]] of results.entries()) {
      if (!error) continue;
      const queued = batch[i]!;
      if (await this.alreadyApplied(queued.command, error)) continue;
      throw this.commandError(queued, error);
    }
  }

  /**
   * A replayed XADD with an explicit id is refused by Redis (the id is not above the stream's top).
   * It was applied before when the entry is there, or older than everything the stream still holds
   * (trimmed since); otherwise the id really is out of order and the job must fail.
   */
  private async alreadyApplied(command: RedisCommand, error: Error): Promise<boolean> {
    if (command.command !== 'XADD' || command.id === undefined || !/equal or smaller/.test(error.message)) return false;
    const key = this.config.keyPrefix + command.key;
    const client = this.connection.client;
    const connection = this.connection;
    if ((await connection.answered(client.xrange(key, command.id, command.id), 1)).length > 0) return true;
    const [first] = await connection.answered(client.xrange(key, '-', '+', 'COUNT', 1), 1);
    return first !== undefined && compareStreamIds(command.id, first[0]) < 0;
  }

  private commandError(queued: QueuedCommand, error: unknown): Error {
    if (error instanceof RedisSinkCommandError) return error;
    const { command, key } = queued.command;
    const connection = this.connection;
    const reason = connection.gaveUp()
      ? `the connection to ${connection.target} was lost and not re-established within ${this.config.retryTimeoutMs} ms` +
        (connection.lastError() ? ` (${connection.lastError()!.message})` : '')
      : error instanceof Error
        ? error.message
        : String(error);
    return new RedisSinkCommandError(this.sinkName, command, this.config.keyPrefix + key, reason, { cause: error });
  }

  private async waitForSlot(): Promise<void> {
    while (this.inFlight.size >= this.config.maxInFlightBatches) await Promise.race(this.inFlight);
    if (this.failure) throw this.failure;
  }

  /** Sends what is buffered and waits for every answer: at each checkpoint barrier and at the end of input. */
  async flush(): Promise<void> {
    this.send();
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
    if (this.failure) throw this.failure;
  }

  close(): void {
    clearTimeout(this.linger);
    this.linger = undefined;
    // Unanswered commands are rejected (and recorded as the failure nobody reads any more).
    this.connection.client.disconnect();
  }
}
