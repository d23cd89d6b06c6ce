// WindowedStream (keyed) and AllWindowedStream (non-keyed, parallelism 1):
// choose the trigger, lateness and late-data output, then how windows compute.
import { WindowOperator, type WindowContents, type WindowOperatorSpec } from '../operators/window-operator.ts';
import type { Key } from '../state/key.ts';
import type { WindowAssigner } from '../windows/assigners.ts';
import type { TimeWindow } from '../windows/time-window.ts';
import type { Trigger } from '../windows/triggers.ts';
import type { DataStream, KeyedStream } from './data-stream.ts';
import type { AggregateFunction, AllWindowFunction, ProcessWindowFunction, ReduceFunction } from './functions.ts';
import type { OutputTag } from './output-tag.ts';
import { perInstance } from './per-instance.ts';

/** A reduce function as an aggregate whose accumulator is the reduced value (undefined before the first). */
function reduceAsAggregate<T>(reduce: ReduceFunction<T>): AggregateFunction<T, T | undefined, T> {
  return {
    createAccumulator: () => undefined,
    add: (value, acc) => (acc === undefined ? value : reduce(acc, value)),
    getResult: (acc) => acc as T,
    merge: (a, b) => (a === undefined ? b : b === undefined ? a : reduce(a, b)),
  };
}

abstract class WindowedBase<T> {
  protected trig: Trigger | undefined;
  protected lateness = 0;
  protected lateTag: OutputTag<T> | undefined;

  constructor(protected readonly assigner: WindowAssigner) {}

  trigger(trigger: Trigger): this {
    this.trig = trigger;
    return this;
  }

  /** Keep windows (and fire again for late records) this long after the watermark passes their end. */
  allowedLateness(ms: number): this {
    if (!(ms >= 0)) throw new RangeError(`allowed lateness must be >= 0 ms, got ${ms}`);
    if (!this.assigner.isEventTime && ms > 0)
      throw new TypeError('allowed lateness applies to event-time windows only');
    this.lateness = ms;
    return this;
  }

  /** Records too late for any window go to `tag` instead of being dropped. */
  sideOutputLateData(tag: OutputTag<T>): this {
    this.lateTag = tag;
    return this;
  }

  protected spec(
    contents: WindowContents,
    windowFunction?: ProcessWindowFunction<unknown, unknown, Key, TimeWindow>,
  ): WindowOperatorSpec {
    return {
      assigner: this.assigner,
      trigger: this.trig,
      allowedLatenessMs: this.lateness,
      lateDataTag: this.lateTag,
      contents,
      windowFunction,
    };
  }
}

export class WindowedStream<T, K extends Key> extends WindowedBase<T> {
  constructor(
    private readonly input: KeyedStream<T, K>,
    assigner: WindowAssigner,
  ) {
    super(assigner);
  }

  private build<R>(
    contents: WindowContents,
    windowFunction?: ProcessWindowFunction<unknown, R, K, TimeWindow>,
  ): DataStream<R> {
    const selector = this.input.keySelector as (v: unknown) => Key;
    return this.input.transform<R>(
      `Window(${this.assigner.description})`,
      () => new WindowOperator(selector, this.spec(contents, windowFunction && perInstance(windowFunction))),
      { keyed: true },
    );
  }

  reduce(fn: ReduceFunction<T>): DataStream<T>;
  reduce<R>(fn: ReduceFunction<T>, windowFunction: ProcessWindowFunction<T, R, K, TimeWindow>): DataStream<R>;
  reduce<R>(fn: ReduceFunction<T>, windowFunction?: ProcessWindowFunction<T, R, K, TimeWindow>): DataStream<T | R> {
    const aggregate = reduceAsAggregate(fn) as AggregateFunction<unknown, unknown, unknown>;
    return this.build<T | R>({ kind: 'aggregate', aggregate }, windowFunction);
  }

  /** Incremental aggregation; with a window function, it receives the single aggregated result per window. */
  aggregate<ACC, V>(fn: AggregateFunction<T, ACC, V>): DataStream<V>;
  aggregate<ACC, V, R>(
    fn: AggregateFunction<T, ACC, V>,
    windowFunction: ProcessWindowFunction<V, R, K, TimeWindow>,
  ): DataStream<R>;
  aggregate<ACC, V, R>(
    fn: AggregateFunction<T, ACC, V>,
    windowFunction?: ProcessWindowFunction<V, R, K, TimeWindow>,
  ): DataStream<V | R> {
    const aggregate = fn as AggregateFunction<unknown, unknown, unknown>;
    return this.build<V | R>({ kind: 'aggregate', aggregate }, windowFunction);
  }

  /** Keeps every element of the window and hands them all to `fn` when it fires. */
  process<R>(fn: ProcessWindowFunction<T, R, K, TimeWindow>): DataStream<R> {
    return this.build({ kind: 'list' }, fn);
  }

  /** The number of records per key and window. */
  count(): DataStream<number> {
    return this.aggregate<number, number>({
      createAccumulator: () => 0,
      add: (_value, acc) => acc + 1,
      getResult: (acc) => acc,
      merge: (a, b) => a + b,
    });
  }
}

export class AllWindowedStream<T> extends WindowedBase<T> {
  constructor(
    private readonly input: DataStream<T>,
    assigner: WindowAssigner,
  ) {
    super(assigner);
  }

  private build<R>(contents: WindowContents, fn?: AllWindowFunction<unknown, R, TimeWindow>): DataStream<R> {
    const windowFunction = fn && {
      open: fn.open?.bind(fn),
      close: fn.close?.bind(fn),
      process: (
        _key: Key,
        ctx: Parameters<ProcessWindowFunction<unknown, R, Key, TimeWindow>['process']>[1],
        elements: Iterable<unknown>,
        out: { collect(v: R): void },
      ) => fn.process(ctx, elements, out),
    };
    const spec = this.spec(contents, windowFunction);
    return this.input
      .global()
      .transform<R>(`WindowAll(${this.assigner.description})`, () => new WindowOperator(() => 0, spec), { keyed: true })
      .setParallelism(1);
  }

  reduce(fn: ReduceFunction<T>): DataStream<T> {
    return this.build({
      kind: 'aggregate',
      aggregate: reduceAsAggregate(fn),
    });
  }

  aggregate<ACC, V>(fn: AggregateFunction<T, ACC, V>): DataStream<V> {
    return this.build({ kind: 'aggregate', aggregate: fn });
  }

  process<R>(fn: AllWindowFunction<T, R, TimeWindow>): DataStream<R> {
    return this.build({ kind: 'list' }, fn);
  }
}
