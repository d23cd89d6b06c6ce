// Brook's public API: what a job imports (`import { ... } from 'brook'`).
export { StreamEnvironment, type EnvironmentSettings } from './api/environment.ts';
export type { StateBackendSpec } from './state/state-backend.ts';
export { DataStream, KeyedStream } from './api/data-stream.ts';
export { WindowedStream, AllWindowedStream } from './api/windowed-stream.ts';
export { ConnectedStreams, BroadcastStream, BroadcastConnectedStream } from './api/connected-streams.ts';
export { OutputTag } from './api/output-tag.ts';
export type * from './api/functions.ts';
export type { RuntimeContext } from './api/runtime-context.ts';
export {
  valueState,
  listState,
  mapState,
  reducingState,
  aggregatingState,
  stateTtl,
  type StateTtlConfig,
} from './state/descriptors.ts';
export type { ValueState, ListState, MapState, ReducingState, AggregatingState } from './state/state.ts';
export type { BroadcastState, ReadOnlyBroadcastState } from './state/broadcast-state.ts';
export type { Key } from './state/key.ts';
export {
  forBoundedOutOfOrderness,
  forMonotonousTimestamps,
  forGenerator,
  noWatermarks,
  type WatermarkStrategy,
  type WatermarkGenerator,
  type WatermarkOutput,
} from './time/watermark-strategy.ts';
export { ManualClock, systemClock, type ProcessingTimeClock } from './time/processing-time.ts';
export {
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  SlidingEventTimeWindows,
  SlidingProcessingTimeWindows,
  EventTimeSessionWindows,
  ProcessingTimeSessionWindows,
  type WindowAssigner,
} from './windows/assigners.ts';
export type { TimeWindow } from './windows/time-window.ts';
export { eventTimeTrigger, processingTimeTrigger, type Trigger, type TriggerResult } from './windows/triggers.ts';
export { dataGenerator, type DataGeneratorOptions } from './connectors/datagen.ts';
export type { SeededRandom } from './connectors/random.ts';
export type * from './connectors/source.ts';
export type * from './connectors/sink.ts';
export { printSink, discardSink, collectSink, CollectedRecords } from './connectors/basic-sinks.ts';
export { msgpackRecordCodec, v8RecordCodec, type RecordCodec } from './network/item-codec.ts';
export { redisSink, type RedisSinkOptions } from './connectors/redis/redis-sink.ts';
export { keepTop, replaySafety, type RedisCommand, type ReplaySafety } from './connectors/redis/commands.ts';
export {
  RedisSinkConfigError,
  RedisSinkConnectionError,
  RedisSinkCommandError,
  NonIdempotentCommandError,
} from './connectors/redis/errors.ts';
export { fileSink, type FileSinkOptions } from './connectors/files/file-sink.ts';
export type { PartCommittable } from './connectors/files/part-store.ts';
export { FileSinkConfigError, FileSinkCommitError, FileSinkWriteError } from './connectors/files/errors.ts';
export { JobExecutionError, JobCancelledError, type JobExecutionResult } from './execution/mini-cluster.ts';
export { UserFunctionError } from './execution/user-function-error.ts';
export { BrookError } from './errors.ts';
export type { Configuration } from './config/configuration.ts';
export { ConfigurationError } from './config/errors.ts';
export { duration, size } from './config/durations.ts';
export {
  kafkaSource,
  kafkaSink,
  DEAD_LETTER_HEADERS,
  KafkaConfigError,
  KafkaOperationError,
  KafkaTransactionError,
  type KafkaSourceOptions,
  type KafkaSinkOptions,
  type KafkaConsumedRecord,
  type KafkaDeadLetter,
  type KafkaPartitionSplit,
  type KafkaCommittable,
} from './connectors/kafka/index.ts';
export { MetricsRegistry } from './metrics/registry.ts';
export { startMetricsServer, type MetricsServer } from './metrics/server.ts';
export {
  InvalidMetricError,
  type MetricGroup,
  type CounterMetric,
  type GaugeMetric,
  type HistogramMetric,
} from './metrics/user-metrics.ts';
