// The e-commerce real-time recommendation job, Brook's reference job: user
// behaviour, profiles and products in; the top 10 products per user out, to
// stdout, Redis (sorted sets) and Kafka. See README.md beside this file.
//
//   brook run examples/recommendation/job.ts --config examples/recommendation/config.yaml [-- --max-records N]
//   brook run ... --config examples/recommendation/config.yaml --env testing     (Kafka in, Redis and Kafka out)
import { ConfigurationError, type StreamEnvironment } from 'brook';
import { recommendationPipeline } from './pipeline.ts';
import { Progress } from './progress.ts';
import { settingsSchema, type Settings } from './settings.ts';
import {
  callbackSink,
  deadLetterRecord,
  describeDeadLetter,
  kafkaDeadLetterSink,
  kafkaRecommendationSink,
  recommendationJson,
  redisConnection,
  redisRecommendationSink,
} from './sinks.ts';
import { generatedInputs, kafkaConnection, kafkaInputs, type RecordLimit } from './sources.ts';

export interface JobArguments {
  /** Stop with a savepoint after reading this many behaviour records. */
  maxRecords?: number;
}

/** `--max-records N` (or `--max-records=N`); a leading `--` is ignored. */
export function parseJobArguments(args: readonly string[]): JobArguments {
  const parsed: JobArguments = {};
  const rest = args[0] === '--' ? args.slice(1) : [...args];
  const problem = (where: string, message: string) =>
    new ConfigurationError([{ where: `job argument ${where}`, message }]);
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const [flag, inline] = arg.startsWith('--max-records=') ? ['--max-records', arg.slice(14)] : [arg, undefined];
    if (flag !== '--max-records') throw problem(arg, 'unknown (the recommendation job takes --max-records N)');
    const value = inline ?? rest[++i];
    if (value === undefined || !/^[1-9]\d*$/.test(value)) {
      throw problem('--max-records', `expected a positive number of records, got ${value ?? 'nothing'}`);
    }
    parsed.maxRecords = Number(value);
  }
  return parsed;
}

/** Asks `brook run` to stop the job with a savepoint, as Ctrl-C does. */
function stopWithSavepoint(records: number): void {
  console.error(`recommendation: read ${records} behaviour records (--max-records); stopping with a savepoint`);
  process.kill(process.pid, 'SIGINT');
}

export default function build(env: StreamEnvironment, args: string[]): void {
  const { maxRecords } = parseJobArguments(args);
  const settings: Settings = env.config.userSection(settingsSchema);
  const progress = new Progress({ intervalMs: settings.progress.interval });
  const limit: RecordLimit =
    maxRecords === undefined ? undefined : { records: maxRecords, onReached: () => stopWithSavepoint(maxRecords) };
  const kafka = settings.input === 'kafka' || settings.output.kafka.topic ? kafkaConnection(env.config) : undefined;
  const inputs =
    settings.input === 'kafka'
      ? kafkaInputs(env, settings, kafka!, progress, limit)
      : generatedInputs(env, settings, progress, limit);

  const { recommendations, lateEvents, unknownProducts } = recommendationPipeline(inputs, settings);
  const counted = recommendations
    .map((r) => {
      progress.recommendation(r);
      return r;
    })
    .name('progress');

  if (settings.output.stdout) counted.map(recommendationJson).name('to JSON').print();
  const redis = redisConnection(env.config);
  if (redis) {
    const { keyPrefix, ttl } = settings.output.redis;
    counted
      .sinkTo(redisRecommendationSink(redis, { keyPrefix, ttlMs: ttl, top: settings.recommendations.top }), 'Redis')
      .uid('redis-sink');
  }
  const { topic, transactionalIdPrefix } = settings.output.kafka;
  if (topic)
    counted.sinkTo(kafkaRecommendationSink(kafka!, { topic, transactionalIdPrefix }), 'Kafka').uid('kafka-sink');

  lateEvents.sinkTo(
    callbackSink(() => progress.lateRecords++),
    'late events',
  );
  unknownProducts.sinkTo(
    callbackSink(() => progress.unknownProducts++),
    'unknown products',
  );
  if (inputs.deadLetters) {
    const letters = inputs.deadLetters.map(deadLetterRecord).name('dead letters');
    letters.sinkTo(
      callbackSink((d) => {
        progress.deadLetters++;
        console.error(describeDeadLetter(d));
      }),
      'dead letters to stderr',
    );
    const deadLetterTopic = settings.output.deadLetters.topic;
    if (deadLetterTopic) {
      letters
        .sinkTo(kafkaDeadLetterSink(kafka!, { topic: deadLetterTopic, transactionalIdPrefix }), 'dead-letter topic')
        .uid('dead-letter-sink');
    }
  }
}
