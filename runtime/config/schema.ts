// The configuration schema: the single source of truth for every key, its
// type, default and meaning (docs/configuration.md's reference is generated
// from the descriptions here). Types are inferred from it.
import { z } from 'zod';
import { checkRedisTarget } from '../connectors/redis/options.ts';
import { restartStrategyDefaults } from '../recovery/restart-strategy.ts';
import { duration, size } from './durations.ts';
import { decimal, flag, integer, logLevel, port, storageUri, tls } from './primitives.ts';

const fixedDelay = restartStrategyDefaults['fixed-delay'];
const exponential = restartStrategyDefaults['exponential-delay'];
const failureRate = restartStrategyDefaults['failure-rate'];

const job = z
  .object({
    name: z
      .string()
      .min(1)
      .optional()
      .describe('the job name (default: the job module file, or its folder for job.ts)'),
    id: z
      .string()
      .regex(/^[0-9a-f]{32}$/, 'expected 32 lowercase hex characters')
      .optional()
      .describe(
        'a fixed job id: a job process started again resumes from its newest checkpoint under this id, in preference to restore.path (set by the operator)',
      ),
    parallelism: integer(1).default(1).describe('parallel instances of each operator'),
    maxParallelism: integer(1, 32_768)
      .default(128)
      .describe('key groups: the upper bound of any later rescaling, fixed for the life of the job state'),
    autoWatermarkInterval: duration()
      .default(200)
      .describe('how often sources and timestamp assigners emit watermarks'),
  })
  .strict();

const checkpoints = z
  .object({
    interval: duration({ positive: true })
      .optional()
      .describe('time between checkpoints; checkpointing is on when this is set'),
    mode: z.enum(['exactly-once', 'at-least-once']).default('exactly-once').describe('aligned barriers or not'),
    timeout: duration({ positive: true }).default(600_000).describe('a checkpoint not complete by then fails'),
    minPause: duration().default(0).describe('least time between the end of one checkpoint and the start of the next'),
    tolerableFailures: integer(0).default(0).describe('consecutive failed checkpoints tolerated before the job fails'),
    retained: integer(1).default(1).describe('completed checkpoints kept'),
    retainOnCancellation: flag()
      .default(true)
      .describe('keep retained checkpoints when the job is cancelled (always kept when it fails)'),
    dir: storageUri()
      .optional()
      .describe(
        '`file:///dir` or `s3://bucket/prefix` where checkpoints go (default: brook-checkpoints under the temp dir)',
      ),
  })
  .strict();

const savepoints = z
  .object({
    dir: storageUri()
      .optional()
      .describe(
        '`file:///dir` or `s3://bucket/prefix` where savepoints go, e.g. on Ctrl-C (default: brook-savepoints under the temp dir)',
      ),
  })
  .strict();

const restore = z
  .object({
    path: storageUri()
      .optional()
      .describe(
        'start from this savepoint or retained checkpoint directory (`file://` or `s3://`; `--from-savepoint`)',
      ),
    allowNonRestoredState: flag()
      .default(false)
      .describe('drop state of operators the job no longer has instead of refusing the savepoint'),
  })
  .strict();

const state = z
  .object({
    backend: z.enum(['heap', 'lmdb']).default('heap').describe('heap: in memory; lmdb: on local disk'),
    lmdb: z
      .object({
        path: z
          .string()
          .min(1)
          .optional()
          .describe('local directory of the lmdb stores (default: brook-state under the temp dir)'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

const restartStrategy = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }).strict(),
  z
    .object({
      type: z.literal('fixed-delay'),
      attempts: integer(0).default(fixedDelay.attempts).describe('restarts before the job fails'),
      delay: duration().default(fixedDelay.delayMs).describe('wait before each restart'),
    })
    .strict(),
  z
    .object({
      type: z.literal('exponential-delay'),
      initial: duration().default(exponential.initialBackoffMs).describe('the first backoff'),
      max: duration().default(exponential.maxBackoffMs).describe('the longest backoff'),
      multiplier: decimal(1).default(exponential.multiplier).describe('backoff growth per failure'),
      resetAfter: duration()
        .default(exponential.resetBackoffThresholdMs)
        .describe('a failure this long after the previous one starts again from the initial backoff'),
      jitter: decimal(0, 1).default(exponential.jitterFactor).describe('the delay varies by up to ± this fraction'),
      attempts: integer(0)
        .optional()
        .describe('restarts before the job fails, counted since the last reset (default: unlimited)'),
    })
    .strict(),
  z
    .object({
      type: z.literal('failure-rate'),
      maxFailures: integer(1).default(failureRate.maxFailuresPerInterval).describe('failures tolerated per interval'),
      interval: duration({ positive: true })
        .default(failureRate.failureRateIntervalMs)
        .describe('the window failures are counted in'),
      delay: duration().default(failureRate.delayMs).describe('wait before each restart'),
    })
    .strict(),
]);

const s3 = z
  .object({
    endpoint: z
      .url()
      .optional()
      .describe('S3 API endpoint, e.g. http://minio:9000 (default: $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL, else AWS)'),
    region: z.string().min(1).optional().describe('default: $AWS_REGION, $AWS_DEFAULT_REGION, else us-east-1'),
    pathStyle: flag().optional().describe('path-style addressing (default: true when endpoint is set, as MinIO needs)'),
    accessKeyId: z.string().min(1).optional().describe('default: $AWS_ACCESS_KEY_ID, else the AWS SDK chain'),
    secretAccessKey: z.string().min(1).optional().describe('default: $AWS_SECRET_ACCESS_KEY (masked)'),
    multipartThreshold: size()
      .default(8 * 1024 ** 2)
      .describe('files larger than this are uploaded in parts'),
    partSize: size()
      .default(8 * 1024 ** 2)
      .describe('size of each part (S3 requires at least 5mb)'),
  })
  .strict()
  .superRefine((o, ctx) => {
    if ((o.accessKeyId === undefined) !== (o.secretAccessKey === undefined))
      ctx.addIssue({
        code: 'custom',
        path: [o.accessKeyId === undefined ? 'accessKeyId' : 'secretAccessKey'],
        message: 'accessKeyId and secretAccessKey go together',
      });
    if (o.partSize < 5 * 1024 ** 2)
      ctx.addIssue({ code: 'custom', path: ['partSize'], message: 'S3 parts must be at least 5mb' });
  });

const hostPort = z.string().regex(/^[^\s:,]+:\d{1,5}$/, 'expected HOST:PORT');

const kafka = z
  .object({
    bootstrapServers: z
      .preprocess((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()) : v), z.array(hostPort).min(1))
      .describe('brokers to bootstrap from: a list or a comma-separated string of HOST:PORT'),
    clientId: z.string().min(1).default('brook').describe('client id the brokers see'),
    sasl: z
      .object({
        mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).default('plain').describe('SASL mechanism'),
        username: z.string().min(1).describe('SASL user'),
        password: z.string().describe('SASL password (masked)'),
      })
      .strict()
      .optional()
      .describe('SASL authentication (default: none)'),
    tls: tls().optional().describe('TLS to the brokers: true, or an object (default: plaintext)'),
  })
  .strict();

const redis = z
  .object({
    url: z
      .string()
      .regex(/^rediss?:\/\/[^/]+/, 'expected a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379')
      .optional()
      .describe('redis://[user:password@]host:port[/db] (rediss:// for TLS); or give host and port'),
    host: z.string().min(1).optional().describe('instead of url'),
    port: port().optional().describe('with host (default 6379)'),
    username: z.string().min(1).optional().describe('with host (ACL user)'),
    password: z.string().optional().describe('with host (masked)'),
    db: integer(0).optional().describe('with host: database number (default 0)'),
    tls: tls().optional().describe('TLS to Redis: true, or an object'),
  })
  .strict()
  .superRefine(checkRedisTarget);

const metrics = z
  .object({
    port: integer(0, 65_535)
      .optional()
      .describe(
        'Prometheus /metrics port (docs/metrics.md); the JobManager and TaskManagers serve it on 9249 unless set, `brook run` only when set; 0: any free port, printed on stderr. It binds cluster.host',
      ),
  })
  .strict();

const rest = z
  .object({
    port: integer(0, 65_535)
      .optional()
      .describe(
        'JobManager REST API port (docs/rest-api.md); `brook run` serves it only when set; 0: any free port, printed on stderr',
      ),
    address: z
      .string()
      .min(1)
      .optional()
      .describe("the address the REST API binds (Flink's rest.bind-address; default: $POD_IP, else 127.0.0.1)"),
  })
  .strict();

const cluster = z
  .object({
    controlPort: integer(0, 65_535)
      .default(6123)
      .describe(
        'JobManager control port: TaskManager registration, heartbeats, deployment, checkpoint acknowledgements',
      ),
    dataPort: integer(0, 65_535).default(6121).describe('TaskManager data exchange port (0: any free port)'),
    host: z
      .string()
      .min(1)
      .optional()
      .describe('the address this process binds and announces to the others (default: $POD_IP, else 127.0.0.1)'),
    heartbeatInterval: duration({ positive: true }).default(1000).describe('how often TaskManagers heartbeat'),
    shutdownOnJobEnd: flag()
      .default(true)
      .describe(
        "the JobManager exits when its job ends; false keeps it (and its REST API) up until it is stopped, so the job's end and its savepoint stay observable (the operator sets false, as Flink's operator does)",
      ),
    heartbeatTimeout: duration({ positive: true })
      .default(10_000)
      .describe('a TaskManager silent this long is lost and its job restarts'),
    secret: z
      .string()
      .min(16, 'cluster.secret must be at least 16 characters')
      .optional()
      .describe(
        'shared by the JobManager and its TaskManagers: every control and data connection proves it (HMAC) before anything crosses (default: $BROOK_CLUSTER_SECRET; none: unauthenticated; masked)',
      ),
    encryption: flag()
      .optional()
      .describe(
        'TLS 1.3 on every control and data connection, keyed by cluster.secret: no certificates (default: true when cluster.secret is set)',
      ),
  })
  .strict()
  .superRefine((cluster, ctx) => {
    if (cluster.encryption === true && cluster.secret === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['encryption'],
        message: 'cluster.encryption needs cluster.secret: the TLS key is derived from it',
      });
  });

const logging = z
  .object({
    level: logLevel().optional().describe('the level of every module (default: $BROOK_LOG_LEVEL, else info)'),
    modules: z
      .record(z.string(), logLevel())
      .default({})
      .describe('levels per module (docs/logging.md), e.g. { checkpoint: debug }, over `level`'),
    pretty: flag()
      .optional()
      .describe('human-readable lines instead of JSON (default: true for `brook run` on a terminal, else false)'),
  })
  .strict();

/** Every key Brook reads; unknown keys are refused, except under `user`. */
export const configSchema = z
  .object({
    job: job.prefault({}),
    checkpoints: checkpoints.prefault({}),
    savepoints: savepoints.prefault({}),
    restore: restore.prefault({}),
    state: state.prefault({}),
    restartStrategy: restartStrategy
      .optional()
      .describe('how failures are handled (default: none, or fixed-delay without limit when checkpointing)'),
    s3: s3.prefault({}),
    kafka: kafka.optional().describe('Kafka connection shared by Kafka sources and sinks (default: none)'),
    redis: redis.optional().describe('Redis connection for Redis sinks (default: none)'),
    metrics: metrics.prefault({}),
    rest: rest.prefault({}),
    cluster: cluster.prefault({}),
    logging: logging.prefault({}),
    user: z
      .record(z.string(), z.unknown())
      .default({})
      .describe("the job's own settings, free-form; read them with env.config.userSection(schema)"),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.job.parallelism > c.job.maxParallelism)
      ctx.addIssue({
        code: 'custom',
        path: ['job', 'parallelism'],
        message: `must not exceed job.maxParallelism (${c.job.maxParallelism}), got ${c.job.parallelism}`,
      });
  });

/** The validated configuration: durations in milliseconds, sizes in bytes. */
export type BrookConfig = z.output<typeof configSchema>;
/** The configuration as written (before defaults and conversions). */
export type BrookConfigInput = z.input<typeof configSchema>;
export type RestartStrategyConfig = NonNullable<BrookConfig['restartStrategy']>;
