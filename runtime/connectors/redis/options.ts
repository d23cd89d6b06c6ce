// The Redis sink's options: one zod schema (the single source of truth), so
// a bad option fails at job build time with an error naming its field.
import { z } from 'zod';
import { describeConfigIssues } from '../option-issues.ts';
import { RedisSinkConfigError } from './errors.ts';

const tls = z.union([
  z.boolean(),
  z
    .object({
      rejectUnauthorized: z.boolean().optional(),
      ca: z.string().optional(),
      servername: z.string().optional(),
    })
    .strict(),
]);

/** Where Redis is: a URL, or a host with port, user, password and database. */
interface RedisTarget {
  url?: string;
  host?: string;
  port?: number;
  username?: string;
  password?: string;
  db?: number;
}

/**
 * Refines a schema holding a Redis target (these options, the configuration's `redis` section):
 * it is given by url or by host, and not both ways.
 */
export function checkRedisTarget(o: RedisTarget, ctx: z.RefinementCtx): void {
  if (o.url === undefined && o.host === undefined)
    ctx.addIssue({ code: 'custom', path: ['url'], message: 'give either url or host (with port)' });
  if (o.url !== undefined)
    for (const field of ['host', 'port', 'username', 'password', 'db'] as const)
      if (o[field] !== undefined)
        ctx.addIssue({ code: 'custom', path: [field], message: 'give either url or host/port/..., not both' });
}

export const redisSinkOptionsSchema = z
  .object({
    /** Names the sink in errors (default `redis`). */
    name: z.string().min(1).default('redis'),
    /** `redis://[user:password@]host:port[/db]` or `rediss://` for TLS; or give host/port instead. */
    url: z
      .string()
      .regex(/^rediss?:\/\/[^/]+/, 'must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379')
      .optional(),
    host: z.string().min(1).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    username: z.string().min(1).optional(),
    password: z.string().optional(),
    db: z.number().int().nonnegative().optional(),
    tls: tls.optional(),
    /** Prepended to every key the mapping returns. */
    keyPrefix: z.string().default(''),
    /** Records per pipelined batch: a batch is sent when it has this many. */
    batchSize: z.number().int().positive().max(100_000).default(500),
    /** A partial batch is sent this long after its first record (0: at the next turn of the event loop). */
    lingerMs: z.number().int().nonnegative().max(60_000).default(5),
    /** Batches sent and not yet answered before `write` makes the job wait (backpressure). */
    maxInFlightBatches: z.number().int().positive().max(1000).default(4),
    /** How long a refused or lost connection is retried, with backoff, before the job fails. */
    retryTimeoutMs: z.number().int().positive().default(30_000),
    /**
     * How long a batch waits for Redis's answer on an open connection before the job fails
     * (a Redis that accepts and never answers); the wait while reconnecting is `retryTimeoutMs`'s.
     */
    commandTimeoutMs: z.number().int().positive().max(3_600_000).default(10_000),
    /** First and longest delay between reconnection attempts. */
    retryBackoffMs: z
      .object({ initial: z.number().int().positive(), max: z.number().int().positive() })
      .strict()
      .refine((b) => b.max >= b.initial, { message: 'max must be at least initial', path: ['max'] })
      .default({ initial: 50, max: 2000 }),
    /** Wraps each batch in MULTI/EXEC, so readers never see part of a record's commands. */
    transactional: z.boolean().default(false),
    /** Accept commands a replay applies twice (INCRBY, LPUSH, XADD without id, ...): at-least-once effects. */
    allowNonIdempotentCommands: z.boolean().default(false),
  })
  .strict()
  .superRefine(checkRedisTarget);

export type RedisSinkConfig = z.input<typeof redisSinkOptionsSchema>;
export type ParsedRedisSinkConfig = z.output<typeof redisSinkOptionsSchema>;

/** Parses the options once, at the boundary; throws RedisSinkConfigError naming every bad field. */
export function parseRedisSinkOptions(options: unknown): ParsedRedisSinkConfig {
  const parsed = redisSinkOptionsSchema.safeParse(options);
  if (parsed.success) return parsed.data;
  const name =
    typeof options === 'object' && options !== null && typeof (options as { name?: unknown }).name === 'string'
      ? (options as { name: string }).name
      : 'redis';
  throw new RedisSinkConfigError(name, describeConfigIssues(parsed.error));
}

/** Where the sink connects, for messages: never the password. */
export function describeTarget(o: ParsedRedisSinkConfig): string {
  if (o.url !== undefined) {
    const url = new URL(o.url);
    url.password = url.password ? '***' : '';
    return url.toString().replace(/\/$/, '');
  }
  return `${o.tls ? 'rediss' : 'redis'}://${o.host}:${o.port ?? 6379}${o.db ? `/${o.db}` : ''}`;
}
