// The sink's connection: an ioredis client that retries a refused or lost
// connection with exponential backoff for at most `retryTimeoutMs`, then gives
// up, so an unreachable Redis fails the job with a clear error instead of hanging;
// and bounds the wait for an answer on an open connection (a hung Redis) the same way.
import type { Redis, RedisOptions } from 'ioredis';
import { RedisSinkConnectionError, RedisSinkTimeoutError } from './errors.ts';
import { describeTarget, type ParsedRedisSinkConfig } from './options.ts';

export interface RedisConnection {
  readonly client: Redis;
  readonly target: string;
  /** The last connection error seen (for messages when commands fail after giving up). */
  lastError(): Error | undefined;
  /** True once retries are exhausted: every further command fails. */
  gaveUp(): boolean;
  /**
   * Settles as `request` (a batch of `commands` commands sent on this connection), or rejects
   * with RedisSinkTimeoutError once the connection has been ready for `commandTimeoutMs`
   * since the request without an answer.
   */
  answered<T>(request: Promise<T>, commands: number): Promise<T>;
}

export type AnswerWait = { expired: true } | { expired: false; checkInMs: number };

/**
 * Whether a request sent at `sentAt` has waited `timeoutMs` on a connection that was
 * ready all along, else when to look again. A connection that is down
 * (`readySince` undefined) is retryTimeoutMs's business: the request waits on.
 */
export function answerWait(sentAt: number, readySince: number | undefined, now: number, timeoutMs: number): AnswerWait {
  if (readySince === undefined) return { expired: false, checkInMs: timeoutMs };
  const left = Math.max(sentAt, readySince) + timeoutMs - now;
  return left <= 0 ? { expired: true } : { expired: false, checkInMs: left };
}

function clientOptions(o: ParsedRedisSinkConfig, retryStrategy: (times: number) => number | null): RedisOptions {
  const tls = o.tls === true ? {} : o.tls === false || o.tls === undefined ? undefined : o.tls;
  return {
    ...(o.url === undefined
      ? { host: o.host, port: o.port ?? 6379, username: o.username, password: o.password, db: o.db ?? 0 }
      : {}),
    ...(tls ? { tls } : {}),
    lazyConnect: true,
    // Commands wait across reconnects; retryStrategy bounds how long.
    maxRetriesPerRequest: null,
    retryStrategy,
    // Names this client in CLIENT LIST, for operators looking at a busy Redis.
    connectionName: `brook-sink-${o.name}`,
  };
}

/** Connects, retrying until ready or until `retryTimeoutMs` has passed. */
export async function openRedisConnection(o: ParsedRedisSinkConfig): Promise<RedisConnection> {
  const target = describeTarget(o);
  let downSince: number | undefined;
  let lastError: Error | undefined;
  let gaveUp = false;
  let readySince: number | undefined;
  const retryStrategy = (times: number): number | null => {
    downSince ??= Date.now();
    const left = o.retryTimeoutMs - (Date.now() - downSince);
    if (left <= 0) {
      gaveUp = true;
      return null;
    }
    return Math.min(left, o.retryBackoffMs.max, o.retryBackoffMs.initial * 2 ** Math.min(times - 1, 20));
  };
  const options = clientOptions(o, retryStrategy);
  // Loaded on first use: jobs without a Redis sink do not pay for ioredis.
  const { Redis } = await import('ioredis');
  const client = o.url === undefined ? new Redis(options) : new Redis(o.url, options);
  client.on('error', (error: Error) => void (lastError = error));
  client.on('ready', () => {
    downSince = undefined;
    readySince = Date.now();
  });
  client.on('close', () => void (readySince = undefined));

  await new Promise<void>((resolve, reject) => {
    const fail = (detail: string) => {
      cleanup();
      client.disconnect();
      const reason = lastError ? `: ${lastError.message}` : '';
      reject(new RedisSinkConnectionError(o.name, target, `${detail}${reason}`, { cause: lastError }));
    };
    const onReady = () => {
      cleanup();
      resolve();
    };
    const onEnd = () => fail(`cannot connect within ${o.retryTimeoutMs} ms`);
    // The retry strategy decides at each failure; this catches a connection attempt that hangs instead.
    const timer = setTimeout(() => fail(`cannot connect within ${o.retryTimeoutMs} ms`), o.retryTimeoutMs + 1000);
    const cleanup = () => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('end', onEnd);
    };
    client.once('ready', onReady);
    client.once('end', onEnd);
    client.connect().catch((error: Error) => void (lastError ??= error));
  });

  const answered = async <T>(request: Promise<T>, commands: number): Promise<T> => {
    const sentAt = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      const check = () => {
        const wait = answerWait(sentAt, readySince, Date.now(), o.commandTimeoutMs);
        if (wait.expired) reject(new RedisSinkTimeoutError(target, o.commandTimeoutMs, commands));
        else timer = setTimeout(check, wait.checkInMs);
      };
      check();
    });
    try {
      return await Promise.race([request, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  };

  return { client, target, lastError: () => lastError, gaveUp: () => gaveUp, answered };
}
