// Connector configuration, validated by zod where it enters (STYLE.md #9):
// the Kafka source and sink options, with errors that name the field.
import { z } from 'zod';
import type { OutputTag } from '../../api/output-tag.ts';
import { KafkaConfigError } from './errors.ts';
import { saslOption, tlsOption } from './security.ts';

const fn = <F>(what: string) =>
  z.custom<F>((v) => typeof v === 'function', { message: `expected a function (${what})` });

/** Broker addresses: an array or a comma-separated string ("host:port,host:port"). */
const bootstrapServers = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .transform((v) => (Array.isArray(v) ? v : v.split(',').map((s) => s.trim())))
  .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'expected host:port')).min(1));

const connection = {
  bootstrapServers,
  clientId: z.string().min(1).default('brook'),
  /** Retries of one broker request before the operation fails. */
  retries: z.number().int().min(2).default(10),
  /** Client-side timeout of one request. */
  requestTimeoutMs: z.number().int().positive().default(30_000),
  /** SASL authentication (default: none); the same shape as the configuration's `kafka.sasl`. */
  sasl: saslOption.optional(),
  /** TLS to the brokers: true (the system's CAs), or { ca, cert, key, servername, rejectUnauthorized }. */
  tls: tlsOption.optional(),
};

const startingOffsets = z.union([
  z.literal('earliest'),
  z.literal('latest'),
  z.object({ timestamp: z.number().int().nonnegative() }).strict(),
  z
    .object({ committed: z.object({ reset: z.enum(['earliest', 'latest', 'fail']).default('earliest') }).strict() })
    .strict(),
]);

const format = z.union([
  z.enum(['string', 'json', 'bytes']),
  z.custom<z.ZodType>((v) => v instanceof z.ZodType, { message: "expected 'string', 'json', 'bytes' or a zod schema" }),
]);

const deadLetter = z.union([
  z.object({ tag: z.custom<OutputTag<unknown>>((v) => typeof (v as { id?: unknown })?.id === 'string') }).strict(),
  z.object({ topic: z.string().min(1) }).strict(),
]);

export const kafkaSourceConfigSchema = z
  .object({
    ...connection,
    topics: z.array(z.string().min(1)).min(1).optional(),
    topicPattern: z.instanceof(RegExp).optional(),
    /** Consumer group: committed offsets are read from it (startingOffsets committed) and written to it for lag monitoring. */
    groupId: z.string().min(1).optional(),
    startingOffsets: startingOffsets.default('earliest'),
    /** Stop at the offsets that were the latest when the job started (tests, backfills). */
    bounded: z.boolean().default(false),
    /** How often new partitions and topics are looked for; 0 turns discovery off. */
    partitionDiscoveryIntervalMs: z.number().int().nonnegative().default(30_000),
    isolationLevel: z.enum(['read_committed', 'read_uncommitted']).default('read_committed'),
    value: format.default('string'),
    key: z.enum(['string', 'bytes']).default('string'),
    /** Turns a consumed record into the element the source emits (default: its value). */
    map: fn<(record: never) => unknown>('map').optional(),
    deadLetter: deadLetter.optional(),
    /** Records fetched but not yet emitted, per reader: fetching pauses above it (backpressure). */
    maxBufferedRecords: z.number().int().positive().default(10_000),
    fetchMaxWaitMs: z.number().int().positive().default(500),
    fetchMaxBytes: z
      .number()
      .int()
      .positive()
      .default(16 * 1024 * 1024),
    commitOffsetsOnCheckpoint: z.boolean().default(true),
  })
  .strict()
  .superRefine((c, ctx) => {
    if ((c.topics === undefined) === (c.topicPattern === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['topics'], message: 'give exactly one of topics and topicPattern' });
    }
    if (typeof c.startingOffsets === 'object' && 'committed' in c.startingOffsets && !c.groupId) {
      ctx.addIssue({ code: 'custom', path: ['groupId'], message: 'startingOffsets committed needs a groupId' });
    }
  });

export const kafkaSinkConfigSchema = z
  .object({
    ...connection,
    /** A topic name, or a function choosing the topic of each record. */
    topic: z.union([z.string().min(1), fn<(value: never) => string>('topic selector')]),
    key: fn<(value: never) => unknown>('key').optional(),
    value: fn<(value: never) => unknown>('value').optional(),
    keyFormat: z.enum(['string', 'json', 'bytes']).default('string'),
    valueFormat: z.enum(['string', 'json', 'bytes']).default('string'),
    deliveryGuarantee: z.enum(['at-least-once', 'exactly-once']).default('at-least-once'),
    /** Transactional ids are `<prefix>-<operator uid>-<subtask>-<run>-<n>`. */
    transactionalIdPrefix: z
      .string()
      .min(1)
      .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only')
      .default('brook'),
    /** Must exceed checkpoint interval + the longest restart, and at most the broker's transaction.max.timeout.ms. */
    transactionTimeoutMs: z.number().int().positive().default(900_000),
    /** Records per produce request. */
    batchSize: z.number().int().positive().default(1000),
    /** Produce requests in flight per writer before write() makes the task wait. */
    maxInFlightBatches: z.number().int().positive().default(4),
  })
  .strict();

export type KafkaSourceSettings = z.output<typeof kafkaSourceConfigSchema>;
export type KafkaSinkSettings = z.output<typeof kafkaSinkConfigSchema>;

/** Validates `input`; every problem is reported with its field path (`startingOffsets.timestamp: ...`). */
export function parseConfig<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
  throw new KafkaConfigError(what, issues);
}
