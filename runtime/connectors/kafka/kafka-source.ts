// The Kafka source (Flink's KafkaSource): partitions of the subscribed topics
// are splits, dealt to readers by a fixed rule; positions live in checkpoints.
import type { z } from 'zod';
import type { OutputTag } from '../../api/output-tag.ts';
import type { Source } from '../source.ts';
import { kafkaSourceConfigSchema, parseConfig } from './config.ts';
import type { FormatOutput, ValueFormat } from './deserializers.ts';
import { KafkaSourceEnumerator } from './enumerator.ts';
import { KafkaSourceReader } from './reader.ts';
import type { KafkaConsumedRecord, KafkaDeadLetter } from './records.ts';
import type { KafkaPartitionSplit } from './split.ts';

type SourceInput = z.input<typeof kafkaSourceConfigSchema>;

/** Options of {@link kafkaSource}. */
export type KafkaSourceOptions<F extends ValueFormat, T> = Omit<SourceInput, 'value' | 'map' | 'deadLetter'> & {
  /** How values are read: 'string' (default), 'json', 'bytes', or a zod schema (JSON, validated). */
  value?: F;
  /** Turns a consumed record (key, value, topic, partition, offset, timestamp, headers) into the element. */
  map?: (record: KafkaConsumedRecord<FormatOutput<F>>) => T;
  /** Where records that fail to deserialize or validate go: a side output of the source, or a topic. */
  deadLetter?: { tag: OutputTag<KafkaDeadLetter> } | { topic: string };
};

/**
 * Reads Kafka topics with positions stored in checkpoints.
 *
 * @example
 * const bad = new OutputTag<KafkaDeadLetter>('bad-orders');
 * const orders = env.fromSource(
 *   kafkaSource({ bootstrapServers: 'localhost:9092', topics: ['orders'], value: orderSchema, deadLetter: { tag: bad } }),
 *   forBoundedOutOfOrderness(5_000),
 * );
 * orders.getSideOutput(bad).print('dead letter');
 */
export function kafkaSource<F extends ValueFormat = 'string', T = FormatOutput<F>>(
  options: KafkaSourceOptions<F, T>,
): Source<T, KafkaPartitionSplit> {
  const settings = parseConfig(kafkaSourceConfigSchema, options, 'Kafka source');
  return {
    boundedness: settings.bounded ? 'bounded' : 'continuous',
    createEnumerator: (context) => new KafkaSourceEnumerator(settings, context),
    restoreEnumerator: (context, restored) => new KafkaSourceEnumerator(settings, context, restored),
    createReader: (context) => new KafkaSourceReader<T>(settings, context),
  };
}
