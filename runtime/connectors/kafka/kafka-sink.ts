// The Kafka sink: at-least-once (every send acknowledged at the barrier) or
// exactly-once (Kafka transactions pre-committed at the barrier and committed
// when the checkpoint completes). See docs/connectors.md, "Kafka".
import type { z } from 'zod';
import type { Sink, TwoPhaseCommittingSink } from '../sink.ts';
import { KafkaCommitter } from './committer.ts';
import { kafkaSinkConfigSchema, parseConfig } from './config.ts';
import { transactionBase, type KafkaCommittable } from './transaction-ids.ts';
import { AtLeastOnceKafkaWriter, ExactlyOnceKafkaWriter } from './writer.ts';

type SinkInput = z.input<typeof kafkaSinkConfigSchema>;

/** Options of {@link kafkaSink}; functions receive the sink's element type. */
export type KafkaSinkOptions<T> = Omit<SinkInput, 'topic' | 'key' | 'value'> & {
  topic: string | ((value: T) => string);
  key?: (value: T) => unknown;
  value?: (value: T) => unknown;
};

/**
 * Writes a stream to Kafka.
 *
 * @example
 * stream.sinkTo(kafkaSink<Click>({
 *   bootstrapServers: 'localhost:9092', topic: 'clicks', key: (c) => c.user,
 *   valueFormat: 'json', deliveryGuarantee: 'exactly-once', transactionalIdPrefix: 'clicks-job',
 * }))
 */
export function kafkaSink<T>(options: KafkaSinkOptions<T>): Sink<T> {
  const settings = parseConfig(kafkaSinkConfigSchema, options, 'Kafka sink');
  if (settings.deliveryGuarantee === 'at-least-once') {
    return { createWriter: (context) => new AtLeastOnceKafkaWriter<T>(settings, context) };
  }
  const sink: TwoPhaseCommittingSink<T, KafkaCommittable> = {
    async createWriter(context) {
      const base = transactionBase(settings.transactionalIdPrefix, context.operatorUid);
      const writer = new ExactlyOnceKafkaWriter<T>(settings, context, base);
      await writer.init();
      return writer;
    },
    createCommitter: (context) => new KafkaCommitter(settings, context.log),
  };
  return sink;
}
