// The job's inputs: the seeded generator (the embedded default) or three Kafka
// topics read with zod schemas, whose unreadable records come out as dead letters.
import {
  ConfigurationError,
  dataGenerator,
  forBoundedOutOfOrderness,
  kafkaSource,
  OutputTag,
  type Configuration,
  type DataStream,
  type KafkaDeadLetter,
  type Source,
  type SourceSplit,
  type StreamEnvironment,
  type WatermarkStrategy,
} from 'brook';
import type { z } from 'zod';
import { behaviourEventSchema, productSchema, userProfileSchema } from './events.ts';
import { behaviourEvent, generateWorld, type GeneratorSettings } from './generator.ts';
import { meteredSource } from './metered-source.ts';
import type { PipelineInputs } from './pipeline.ts';
import type { Progress } from './progress.ts';
import type { Settings } from './settings.ts';

export interface Inputs extends PipelineInputs {
  /** Records the Kafka sources could not deserialize or validate (none from the generator). */
  deadLetters: DataStream<KafkaDeadLetter> | undefined;
}

/** How many behaviour records to read before asking to stop (`--max-records`). */
export type RecordLimit = { records: number; onReached: () => void } | undefined;

function eventTime<T>(
  settings: Settings,
  timestampOf: (value: T) => number,
  idlenessMs?: number,
): WatermarkStrategy<T> {
  const strategy = forBoundedOutOfOrderness<T>(settings.watermark.outOfOrderness).withTimestampAssigner((v) =>
    timestampOf(v),
  );
  return idlenessMs === undefined ? strategy : strategy.withIdleness(idlenessMs);
}

export function generatorSettings(settings: Settings): GeneratorSettings {
  const g = settings.generator;
  return {
    seed: g.seed,
    users: g.users,
    products: g.products,
    startTime: g.startTime,
    eventSpacingMs: g.eventSpacing,
    jitterMs: g.jitter,
  };
}

/** Generated users, products and behaviour: the same records for the same `user.generator` settings. */
export function generatedInputs(
  env: StreamEnvironment,
  settings: Settings,
  progress: Progress,
  limit?: RecordLimit,
): Inputs {
  const g = generatorSettings(settings);
  const world = generateWorld(g);
  const { events, recordsPerSecond, seed } = settings.generator;
  // In an unbounded run the catalogue sources stay open once read, so that Ctrl-C can take a savepoint.
  const holdAtEnd = events === undefined;
  const behaviour = env
    .fromSource(
      meteredSource(
        dataGenerator({
          count: events,
          recordsPerSecond: recordsPerSecond > 0 ? recordsPerSecond : undefined,
          seed,
          generate: (i, random) => behaviourEvent(world, g, i, random),
        }),
        { name: 'behaviour', progress, limit },
      ),
      eventTime(settings, (e) => e.timestamp),
      'behaviour',
    )
    .uid('behaviour-source');
  const profiles = env
    .fromSource(
      meteredSource(dataGenerator({ count: world.profiles.length, seed, generate: (j) => world.profiles[j]! }), {
        name: 'profiles',
        progress,
        holdAtEnd,
      }),
      eventTime(settings, (p) => p.updatedAt),
      'profiles',
    )
    .uid('profiles-source');
  const products = env
    .fromSource(
      meteredSource(dataGenerator({ count: world.products.length, seed, generate: (k) => world.products[k]! }), {
        name: 'products',
        progress,
        holdAtEnd,
      }),
      eventTime(settings, (p) => p.updatedAt),
      'products',
    )
    .uid('products-source');
  return { behaviour, profiles, products, deadLetters: undefined };
}

/** The connection of the configuration's `kafka` section, as the Kafka connector takes it. */
export function kafkaConnection(config: Configuration): { bootstrapServers: string[]; clientId: string } {
  const kafka = config.kafka;
  const refuse = (where: string, message: string) => new ConfigurationError([{ where, message }], config.source);
  if (!kafka) throw refuse('kafka', "required when user.input is 'kafka' or user.output.kafka.topic is set");
  // The connector takes brokers and client id only so far.
  if (kafka.sasl) throw refuse('kafka.sasl', 'not supported by the Kafka connector yet');
  if (kafka.tls) throw refuse('kafka.tls', 'not supported by the Kafka connector yet');
  return { bootstrapServers: [...kafka.bootstrapServers], clientId: kafka.clientId };
}

/** Behaviour, profiles and products from their topics; each source's dead letters join one stream. */
export function kafkaInputs(
  env: StreamEnvironment,
  settings: Settings,
  connection: { bootstrapServers: string[]; clientId: string },
  progress: Progress,
  limit?: RecordLimit,
): Inputs {
  const k = settings.kafka;
  const read = <S extends z.ZodType<{ [key: string]: unknown }>>(
    name: 'behaviour' | 'profiles' | 'products',
    schema: S,
    timestampOf: (value: z.output<S>) => number,
    idlenessMs: number | undefined,
    sourceLimit?: RecordLimit,
  ) => {
    const deadLetters = new OutputTag<KafkaDeadLetter>(`dead-letters-${name}`);
    const source = kafkaSource({
      ...connection,
      topics: [k.topics[name]],
      groupId: k.groupId,
      startingOffsets: k.startingOffsets,
      bounded: k.bounded,
      value: schema,
      deadLetter: { tag: deadLetters },
    }) as Source<z.output<S>, SourceSplit>;
    const stream = env
      .fromSource(
        meteredSource(source, { name, progress, limit: sourceLimit }),
        eventTime(settings, timestampOf, idlenessMs),
        name,
      )
      .uid(`${name}-source`);
    return { stream, deadLetters: stream.getSideOutput(deadLetters) };
  };
  // Profiles and products change rarely: with `idleness`, a quiet partition stops holding event time back.
  const behaviour = read('behaviour', behaviourEventSchema, (e) => e.timestamp, undefined, limit);
  const profiles = read('profiles', userProfileSchema, (p) => p.updatedAt, k.idleness);
  const products = read('products', productSchema, (p) => p.updatedAt, k.idleness);
  return {
    behaviour: behaviour.stream,
    profiles: profiles.stream,
    products: products.stream,
    deadLetters: behaviour.deadLetters.union(profiles.deadLetters, products.deadLetters),
  };
}
