// Where recommendations go: a sorted set per user in Redis (each record
// replaces the whole set, so replays are harmless), a Kafka topic exactly
// once, stdout as JSON lines; and how dead letters are written.
import {
  kafkaSink,
  keepTop,
  redisSink,
  type Configuration,
  type KafkaDeadLetter,
  type RedisCommand,
  type RedisSinkOptions,
  type Sink,
} from 'brook';
import type { Recommendation } from './scoring.ts';

/**
 * The commands writing one recommendation: DEL, ZADD of every item, trim to
 * the top `top`, EXPIRE. Replacing the whole set makes ZREMRANGEBYRANK
 * replay-safe (docs/connectors.md); a user without recommendations has no key.
 */
export function recommendationCommands(r: Recommendation, top: number, ttlSeconds: number): RedisCommand[] {
  const key = r.userId;
  if (r.items.length === 0) return [{ command: 'DEL', key }];
  return [
    { command: 'DEL', key },
    { command: 'ZADD', key, members: r.items.map((i) => ({ member: i.productId, score: i.score })) },
    keepTop(key, top),
    { command: 'EXPIRE', key, seconds: ttlSeconds },
  ];
}

type RedisConnection = Omit<RedisSinkOptions<unknown>, 'commands'>;

/** The configuration's `redis` section, else $REDIS_URL, else none (no Redis output). */
export function redisConnection(
  config: Configuration,
  environment: NodeJS.ProcessEnv = process.env,
): RedisConnection | undefined {
  if (config.redis) return structuredClone(config.redis);
  return environment.REDIS_URL ? { url: environment.REDIS_URL } : undefined;
}

export function redisRecommendationSink(
  connection: RedisConnection,
  options: { keyPrefix: string; top: number; ttlMs: number },
): Sink<Recommendation> {
  const ttlSeconds = Math.max(1, Math.round(options.ttlMs / 1000));
  return redisSink<Recommendation>({
    ...connection,
    name: 'recommendations',
    keyPrefix: options.keyPrefix,
    // Readers never see a user's set between its DEL and its ZADD.
    transactional: true,
    commands: (r) => recommendationCommands(r, options.top, ttlSeconds),
  });
}

/** The JSON a recommendation is written as (stdout, Kafka). */
export function recommendationJson(r: Recommendation): string {
  return JSON.stringify({ userId: r.userId, windowStart: r.windowStart, windowEnd: r.windowEnd, items: r.items });
}

export function kafkaRecommendationSink(
  connection: { bootstrapServers: string[]; clientId: string },
  options: { topic: string; transactionalIdPrefix: string },
): Sink<Recommendation> {
  return kafkaSink<Recommendation>({
    ...connection,
    topic: options.topic,
    key: (r) => r.userId,
    value: recommendationJson,
    deliveryGuarantee: 'exactly-once',
    transactionalIdPrefix: options.transactionalIdPrefix,
  });
}

/** A dead letter as written to the dead-letter topic: where it came from, why, and its bytes as text. */
export interface DeadLetterRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  reason: string;
  key: string | null;
  value: string | null;
}

export function deadLetterRecord(letter: KafkaDeadLetter): DeadLetterRecord {
  return {
    topic: letter.topic,
    partition: letter.partition,
    offset: letter.offset,
    timestamp: letter.timestamp,
    reason: letter.reason,
    key: letter.key === null ? null : letter.key.toString('utf8'),
    value: letter.value === null ? null : letter.value.toString('utf8').slice(0, 1000),
  };
}

export function describeDeadLetter(d: DeadLetterRecord): string {
  return `recommendation: dead letter ${d.topic}[${d.partition}]@${d.offset}: ${d.reason}`;
}

export function kafkaDeadLetterSink(
  connection: { bootstrapServers: string[]; clientId: string },
  options: { topic: string; transactionalIdPrefix: string },
): Sink<DeadLetterRecord> {
  return kafkaSink<DeadLetterRecord>({
    ...connection,
    topic: options.topic,
    key: (d) => `${d.topic}-${d.partition}-${d.offset}`,
    value: (d) => JSON.stringify(d),
    deliveryGuarantee: 'exactly-once',
    transactionalIdPrefix: `${options.transactionalIdPrefix}-dead-letters`,
  });
}

/** A sink that only calls `fn` per record (counting into the progress report). */
export function callbackSink<T>(fn: (value: T) => void): Sink<T> {
  return { createWriter: () => ({ write: (value: T) => fn(value) }) };
}
