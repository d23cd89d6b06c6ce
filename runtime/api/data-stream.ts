// DataStream and KeyedStream: the typed, fluent API that records
// transformations. Nothing runs until StreamEnvironment.execute().
import { collectSink, CollectedRecords, printSink } from '../connectors/basic-sinks.ts';
import type { Sink } from '../connectors/sink.ts';
import type { Partitioning, PhysicalTransformation, Transformation } from '../graph/transformation.ts';
import { KeyedProcessOperator, KeyedReduceOperator } from '../operators/keyed-process.ts';
import type { StreamOperator } from '../operators/operator.ts';
import { SinkOperator } from '../operators/sink-operator.ts';
import {
  FilterOperator,
  FlatMapOperator,
  MapOperator,
  ProcessOperator,
  TimestampsAndWatermarksOperator,
} from '../operators/stateless.ts';
import type { MapStateDescriptor } from '../state/descriptors.ts';
import type { Key } from '../state/key.ts';
import type { WatermarkStrategy } from '../time/watermark-strategy.ts';
import type { WindowAssigner } from '../windows/assigners.ts';
import { BroadcastConnectedStream, BroadcastStream, ConnectedStreams } from './connected-streams.ts';
import type { StreamEnvironment } from './environment.ts';
import type {
  FilterFunction,
  FlatMapFunction,
  KeyedProcessFunction,
  KeySelector,
  MapFunction,
  ProcessFunction,
  ReduceFunction,
} from './functions.ts';
import type { OutputTag } from './output-tag.ts';
import type { RecordCodec } from '../network/item-codec.ts';
import { perInstance } from './per-instance.ts';
import { AllWindowedStream, WindowedStream } from './windowed-stream.ts';

export class DataStream<T> {
  constructor(
    readonly env: StreamEnvironment,
    readonly transformation: Transformation,
  ) {}

  private physical(what: string): PhysicalTransformation {
    const t = this.transformation;
    if (t.kind === 'source' || t.kind === 'one-input' || t.kind === 'two-input') return t;
    throw new TypeError(`${what} applies to an operator; this stream is a ${t.kind} of other streams`);
  }

  /** The stable id that matches this operator's state in a savepoint. Set it on every stateful operator. */
  uid(uid: string): this {
    if (!uid) throw new TypeError('uid must be a non-empty string');
    this.physical('uid()').uid = uid;
    return this;
  }

  /** The display name in logs, metrics and the job graph. */
  name(name: string): this {
    this.physical('name()').name = name;
    return this;
  }

  /**
   * How this operator's records are written when they cross to another
   * TaskManager (the default is msgpack: plain data, Maps, Sets, Dates, bigints,
   * typed arrays; class instances lose their prototype; `v8RecordCodec` keeps
   * cycles and shared references). Give a codec for records that need more.
   *
   * @example
   * stream.map(toMoney).withCodec({
   *   encode: (values) => Buffer.from(JSON.stringify(values.map((m) => m.cents))),
   *   decode: (bytes) => (JSON.parse(bytes.toString()) as number[]).map((c) => new Money(c)),
   * })
   */
  withCodec(codec: RecordCodec<T>): this {
    this.physical('withCodec()').codec = codec;
    return this;
  }

  setParallelism(parallelism: number): this {
    if (!Number.isInteger(parallelism) || parallelism < 1) {
      throw new RangeError(`parallelism must be a positive integer, got ${parallelism}`);
    }
    this.physical('setParallelism()').parallelism = parallelism;
    return this;
  }

  /** Adds a one-input operator reading this stream. */
  transform<R>(name: string, createOperator: () => StreamOperator, options: { keyed?: boolean } = {}): DataStream<R> {
    return new DataStream<R>(this.env, {
      kind: 'one-input',
      id: this.env.newId(),
      name,
      uid: undefined,
      parallelism: undefined,
      input: this.transformation,
      createOperator,
      keyed: options.keyed ?? false,
    });
  }

  /** Adds a two-input operator reading this stream (input 1) and `other` (input 2). */
  transformTwoInput<U, R>(
    other: DataStream<U>,
    name: string,
    createOperator: () => StreamOperator,
    options: { keyed?: boolean } = {},
  ): DataStream<R> {
    if (other.env !== this.env) throw new TypeError('connected streams must come from the same StreamEnvironment');
    return new DataStream<R>(this.env, {
      kind: 'two-input',
      id: this.env.newId(),
      name,
      uid: undefined,
      parallelism: undefined,
      input1: this.transformation,
      input2: other.transformation,
      createOperator,
      keyed: options.keyed ?? false,
    });
  }

  map<R>(fn: MapFunction<T, R>): DataStream<R> {
    return this.transform('Map', () => new MapOperator(fn as MapFunction<unknown, unknown>));
  }

  flatMap<R>(fn: FlatMapFunction<T, R>): DataStream<R> {
    return this.transform('FlatMap', () => new FlatMapOperator(fn as FlatMapFunction<unknown, unknown>));
  }

  filter(fn: FilterFunction<T>): DataStream<T> {
    return this.transform('Filter', () => new FilterOperator(fn as FilterFunction<unknown>));
  }

  process<R>(fn: ProcessFunction<T, R>): DataStream<R> {
    return this.transform('Process', () => new ProcessOperator(perInstance(fn) as ProcessFunction<unknown, unknown>));
  }

  /** Partitions by key: every record of a key goes to the same parallel instance. */
  keyBy<K extends Key>(keySelector: KeySelector<T, K>): KeyedStream<T, K> {
    return new KeyedStream<T, K>(
      this.env,
      this.partition({ kind: 'hash', keySelector: keySelector as (v: unknown) => Key }),
      keySelector,
    );
  }

  private partition(partitioning: Partitioning): Transformation {
    return {
      kind: 'partition',
      id: this.env.newId(),
      name: partitioning.kind,
      uid: undefined,
      parallelism: undefined,
      input: this.transformation,
      partitioning,
    };
  }

  /** Round-robin over the next operator's instances. */
  rebalance(): DataStream<T> {
    return new DataStream<T>(this.env, this.partition({ kind: 'rebalance' }));
  }

  /** Every record to the next operator's instance with the same index (equal parallelism). */
  forward(): DataStream<T> {
    return new DataStream<T>(this.env, this.partition({ kind: 'forward' }));
  }

  /** Every record to the first instance of the next operator. */
  global(): DataStream<T> {
    return new DataStream<T>(this.env, this.partition({ kind: 'global' }));
  }

  /**
   * Without descriptors: every record to every instance of the next operator.
   * With descriptors: a BroadcastStream for the broadcast state pattern (connect it to another stream).
   */
  broadcast(): DataStream<T>;
  broadcast(...descriptors: MapStateDescriptor<unknown, unknown>[]): BroadcastStream<T>;
  broadcast(...descriptors: MapStateDescriptor<unknown, unknown>[]): DataStream<T> | BroadcastStream<T> {
    const partitioned = new DataStream<T>(this.env, this.partition({ kind: 'broadcast' }));
    return descriptors.length === 0 ? partitioned : new BroadcastStream<T>(partitioned, descriptors);
  }

  /** Merges streams of the same type. */
  union(...others: DataStream<T>[]): DataStream<T> {
    return new DataStream<T>(this.env, {
      kind: 'union',
      id: this.env.newId(),
      name: 'Union',
      uid: undefined,
      parallelism: undefined,
      inputs: [this.transformation, ...others.map((o) => o.transformation)],
    });
  }

  connect<U>(other: BroadcastStream<U>): BroadcastConnectedStream<T, U>;
  connect<U>(other: DataStream<U>): ConnectedStreams<T, U>;
  connect<U>(other: DataStream<U> | BroadcastStream<U>): ConnectedStreams<T, U> | BroadcastConnectedStream<T, U> {
    if (other instanceof BroadcastStream) return new BroadcastConnectedStream<T, U>(this, other);
    return new ConnectedStreams<T, U>(this, other);
  }

  /** The records an operator emitted to `tag` with ctx.output(tag, value). */
  getSideOutput<X>(tag: OutputTag<X>): DataStream<X> {
    return new DataStream<X>(this.env, {
      kind: 'side-output',
      id: this.env.newId(),
      name: `side-output:${tag.id}`,
      uid: undefined,
      parallelism: undefined,
      input: this.transformation,
      tag: tag,
    });
  }

  assignTimestampsAndWatermarks(strategy: WatermarkStrategy<T>): DataStream<T> {
    const interval = this.env.settings.autoWatermarkIntervalMs;
    return this.transform(
      'Timestamps/Watermarks',
      () => new TimestampsAndWatermarksOperator(strategy as WatermarkStrategy<unknown>, interval),
    );
  }

  /** Windows over the whole stream (one instance: parallelism 1). */
  windowAll(assigner: WindowAssigner): AllWindowedStream<T> {
    return new AllWindowedStream<T>(this, assigner);
  }

  sinkTo(sink: Sink<T>, name = 'Sink'): DataStream<never> {
    const stream = this.transform<never>(name, () => new SinkOperator(sink));
    this.env.sinks.push(stream.transformation);
    return stream;
  }

  /** Prints every record to stdout, prefixed by subtask when parallel. */
  print(prefix?: string): DataStream<never> {
    return this.sinkTo(printSink<T>({ prefix }), 'Print');
  }

  /** Collects every record in memory while the job runs in this process (tests). */
  collect(): CollectedRecords<T> {
    const into = new CollectedRecords<T>();
    this.sinkTo(collectSink(into), 'Collect');
    return into;
  }
}

export class KeyedStream<T, K extends Key> extends DataStream<T> {
  constructor(
    env: StreamEnvironment,
    transformation: Transformation,
    readonly keySelector: KeySelector<T, K>,
  ) {
    super(env, transformation);
  }

  private keyed<R>(name: string, createOperator: () => StreamOperator): DataStream<R> {
    return this.transform<R>(name, createOperator, { keyed: true });
  }

  override process<R>(fn: KeyedProcessFunction<K, T, R>): DataStream<R>;
  override process<R>(fn: ProcessFunction<T, R>): DataStream<R>;
  override process<R>(fn: KeyedProcessFunction<K, T, R> | ProcessFunction<T, R>): DataStream<R> {
    const selector = this.keySelector as (v: unknown) => Key;
    return this.keyed<R>('KeyedProcess', () => new KeyedProcessOperator(selector, perInstance(fn)));
  }

  /** Rolling reduce: emits the running result for the key after every record. */
  reduce(fn: ReduceFunction<T>): DataStream<T> {
    const selector = this.keySelector as (v: unknown) => Key;
    return this.keyed<T>('Reduce', () => new KeyedReduceOperator(selector, fn as ReduceFunction<unknown>));
  }

  window(assigner: WindowAssigner): WindowedStream<T, K> {
    return new WindowedStream<T, K>(this, assigner);
  }
}
