// The Kafka connector's public surface.
export { kafkaSource, type KafkaSourceOptions } from './kafka-source.ts';
export { kafkaSink, type KafkaSinkOptions } from './kafka-sink.ts';
export type { KafkaConsumedRecord, KafkaDeadLetter } from './records.ts';
export { DEAD_LETTER_HEADERS } from './records.ts';
export type { KafkaPartitionSplit } from './split.ts';
export type { KafkaCommittable } from './transaction-ids.ts';
export { KafkaConfigError, KafkaOperationError, KafkaTransactionError } from './errors.ts';
