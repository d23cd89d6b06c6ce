// The job's own settings: the `user` section of its configuration
// (config.yaml), validated by this schema through env.config.userSection.
// Every key has a default, so the job also runs without a configuration file.
import { z } from 'zod';
import { duration } from 'brook';

// Values from ${VAR} interpolation arrive as strings; accept "42" and "true" as Brook's own keys do.
const numeric = (schema: z.ZodNumber) =>
  z.preprocess((v) => (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v), schema);
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => numeric(z.number().int().min(min).max(max));
const flag = () => z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());
const topic = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'expected a Kafka topic name');
/** An instant: epoch milliseconds or an ISO 8601 date-time. */
const instant = z.unknown().transform((value, ctx): number => {
  const ms =
    typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value))
      ? Number(value)
      : typeof value === 'string' && /^\d{4}-\d\d-\d\dT/.test(value)
        ? Date.parse(value)
        : Number.NaN;
  if (Number.isSafeInteger(ms) && ms >= 0) return ms;
  ctx.addIssue({
    code: 'custom',
    message: `expected epoch milliseconds or a date-time like 2024-01-01T00:00:00Z, got ${JSON.stringify(value)}`,
  });
  return z.NEVER;
});

const generator = z
  .object({
    seed: int(0, 2 ** 31 - 1).default(42),
    users: int(1).default(200),
    products: int(2).default(150),
    /** Behaviour events in total; absent: unbounded (until Ctrl-C or --max-records). */
    events: int(0).optional(),
    /** Behaviour events per second, over all parallel readers; 0: as fast as possible. */
    recordsPerSecond: numeric(z.number().min(0)).default(100),
    /** Event time between consecutive behaviour events: with 1s and 100 events/s, event time runs 100x faster. */
    eventSpacing: duration().default(1000),
    /** Generated events are out of order by up to this much. */
    jitter: duration().default(2000),
    startTime: instant.default(Date.parse('2024-01-01T00:00:00Z')),
  })
  .strict();

const kafka = z
  .object({
    topics: z
      .object({
        behaviour: topic.default('user-behaviour'),
        profiles: topic.default('user-profiles'),
        products: topic.default('products'),
      })
      .strict()
      .prefault({}),
    groupId: z.string().min(1).optional(),
    startingOffsets: z.enum(['earliest', 'latest']).default('earliest'),
    /** Stop at the offsets that were the latest when the job started (tests, backfills). */
    bounded: flag().default(false),
    /** A partition without records this long stops holding event time back (slow profile and product topics). */
    idleness: duration({ positive: true }).optional(),
  })
  .strict();

export const settingsSchema = z
  .object({
    /** Where behaviour, profiles and products come from. */
    input: z.enum(['generator', 'kafka']).default('generator'),
    generator: generator.prefault({}),
    kafka: kafka.prefault({}),
    window: z
      .object({
        size: duration({ positive: true }).default(3_600_000),
        slide: duration({ positive: true }).default(300_000),
      })
      .strict()
      .prefault({}),
    watermark: z
      .object({ outOfOrderness: duration().default(5000) })
      .strict()
      .prefault({}),
    similarity: z
      .object({
        neighbours: int(1, 1000).default(20),
        minScore: numeric(z.number().min(0).max(1)).default(0.1),
        behaviourWeight: numeric(z.number().min(0).max(1)).default(0.7),
      })
      .strict()
      .prefault({}),
    recommendations: z
      .object({
        top: int(1, 1000).default(10),
        purchaseExclusion: duration().default(86_400_000),
        /** Time to live (processing time) of the recommender's purchase cache entries. */
        cacheTtl: duration({ positive: true }).default(86_400_000),
        weights: z
          .object({
            categoryAffinity: numeric(z.number().min(0)).default(0.3),
            preferredCategory: numeric(z.number().min(0)).default(0.1),
            priceBand: numeric(z.number().min(0)).default(0.05),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    output: z
      .object({
        /** Print every recommendation to stdout as a JSON line. */
        stdout: flag().default(true),
        /** Written when the configuration has a `redis` section or REDIS_URL is set. */
        redis: z
          .object({ keyPrefix: z.string().default('recs:'), ttl: duration({ positive: true }).default(3_600_000) })
          .strict()
          .prefault({}),
        /** Recommendations to this topic, exactly once (needs the `kafka` section). */
        kafka: z
          .object({ topic: topic.optional(), transactionalIdPrefix: z.string().min(1).default('recommendation') })
          .strict()
          .prefault({}),
        /** Records the Kafka sources could not read go to this topic, and always to stderr. */
        deadLetters: z.object({ topic: topic.optional() }).strict().prefault({}),
      })
      .strict()
      .prefault({}),
    /** How often progress goes to stderr; 0 turns it off. */
    progress: z
      .object({ interval: duration().default(5000) })
      .strict()
      .prefault({}),
  })
  .strict();

export type Settings = z.output<typeof settingsSchema>;
