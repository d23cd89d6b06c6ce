// The user functions of the DataStream API, as plain interfaces: a job passes
// object literals or class instances; only `processElement`-like methods are required.
import type { Key } from '../state/key.ts';
import type { OutputTag } from './output-tag.ts';
import type { RuntimeContext } from './runtime-context.ts';
import type { BroadcastState, ReadOnlyBroadcastState } from '../state/broadcast-state.ts';
import type { MapStateDescriptor, StateDescriptor } from '../state/descriptors.ts';
import type { KeyedStateAccess } from '../state/state-access.ts';

export interface Collector<T> {
  collect(value: T): void;
}

/** Lifecycle hooks every rich function may have. `open` runs before the first record, `close` after the last. */
export interface RichFunction {
  open?(context: RuntimeContext): void | Promise<void>;
  close?(): void | Promise<void>;
}

export type MapFunction<T, R> = (value: T) => R;
export type FlatMapFunction<T, R> = (value: T, out: Collector<R>) => void;
export type FilterFunction<T> = (value: T) => boolean;
export type KeySelector<T, K extends Key> = (value: T) => K;
export type ReduceFunction<T> = (accumulated: T, value: T) => T;

/** Incremental aggregation (Flink's AggregateFunction). `add` and `merge` may mutate and return the accumulator. */
export interface AggregateFunction<IN, ACC, OUT> {
  createAccumulator(): ACC;
  add(value: IN, accumulator: ACC): ACC;
  getResult(accumulator: ACC): OUT;
  merge(a: ACC, b: ACC): ACC;
}

export interface TimerService {
  currentProcessingTime(): number;
  currentWatermark(): number;
  registerEventTimeTimer(timestamp: number): void;
  registerProcessingTimeTimer(timestamp: number): void;
  deleteEventTimeTimer(timestamp: number): void;
  deleteProcessingTimeTimer(timestamp: number): void;
}

export interface ProcessContext {
  /** The event timestamp of the current record, or undefined when it has none. */
  timestamp(): number | undefined;
  output<X>(tag: OutputTag<X>, value: X): void;
}

export interface KeyedProcessContext<K extends Key> extends ProcessContext {
  getCurrentKey(): K;
  timerService(): TimerService;
}

export interface OnTimerContext<K extends Key> extends KeyedProcessContext<K> {
  timeDomain(): 'event-time' | 'processing-time';
}

/** Non-keyed process function: no keyed state, no timers (as in Flink). */
export interface ProcessFunction<I, O> extends RichFunction {
  processElement(value: I, ctx: ProcessContext & { timerService(): TimerService }, out: Collector<O>): void;
}

/**
 * The low-level keyed operation: keyed state, event- and processing-time timers, side outputs.
 *
 * @example
 * const countPerUser: KeyedProcessFunction<string, Click, [string, number]> = {
 *   open(ctx) { this.count = ctx.getState(valueState<number>('count')) },
 *   processElement(click, ctx, out) {
 *     const n = (this.count.value() ?? 0) + 1
 *     this.count.update(n)
 *     out.collect([ctx.getCurrentKey(), n])
 *   },
 * }
 */
export interface KeyedProcessFunction<K extends Key, I, O> extends RichFunction {
  processElement(value: I, ctx: KeyedProcessContext<K>, out: Collector<O>): void;
  onTimer?(timestamp: number, ctx: OnTimerContext<K>, out: Collector<O>): void;
}

export interface CoProcessFunction<I1, I2, O> extends RichFunction {
  processElement1(value: I1, ctx: ProcessContext & { timerService(): TimerService }, out: Collector<O>): void;
  processElement2(value: I2, ctx: ProcessContext & { timerService(): TimerService }, out: Collector<O>): void;
}

export interface KeyedCoProcessFunction<K extends Key, I1, I2, O> extends RichFunction {
  processElement1(value: I1, ctx: KeyedProcessContext<K>, out: Collector<O>): void;
  processElement2(value: I2, ctx: KeyedProcessContext<K>, out: Collector<O>): void;
  onTimer?(timestamp: number, ctx: OnTimerContext<K>, out: Collector<O>): void;
}

export interface ReadOnlyBroadcastContext extends ProcessContext {
  currentProcessingTime(): number;
  currentWatermark(): number;
  getBroadcastState<MK, MV>(descriptor: MapStateDescriptor<MK, MV>): ReadOnlyBroadcastState<MK, MV>;
}

export interface BroadcastContext extends ProcessContext {
  currentProcessingTime(): number;
  currentWatermark(): number;
  getBroadcastState<MK, MV>(descriptor: MapStateDescriptor<MK, MV>): BroadcastState<MK, MV>;
}

export interface KeyedBroadcastContext extends BroadcastContext {
  /** Runs `fn` for every key that has state under `descriptor` in this subtask. */
  applyToKeyedState<S>(descriptor: StateDescriptor<S>, fn: (key: Key, state: S) => void): void;
}

export interface BroadcastProcessFunction<I, B, O> extends RichFunction {
  processElement(value: I, ctx: ReadOnlyBroadcastContext, out: Collector<O>): void;
  processBroadcastElement(value: B, ctx: BroadcastContext, out: Collector<O>): void;
}

export interface KeyedBroadcastProcessFunction<K extends Key, I, B, O> extends RichFunction {
  processElement(
    value: I,
    ctx: ReadOnlyBroadcastContext & { getCurrentKey(): K; timerService(): TimerService },
    out: Collector<O>,
  ): void;
  processBroadcastElement(value: B, ctx: KeyedBroadcastContext, out: Collector<O>): void;
  onTimer?(timestamp: number, ctx: OnTimerContext<K> & ReadOnlyBroadcastContext, out: Collector<O>): void;
}

export interface WindowContext<W> {
  window: W;
  currentProcessingTime(): number;
  currentWatermark(): number;
  /** State scoped to this key and window; cleared when the window is purged. */
  windowState: KeyedStateAccess;
  /** State scoped to this key across windows. */
  globalState: KeyedStateAccess;
  output<X>(tag: OutputTag<X>, value: X): void;
}

/** Sees all elements (or the pre-aggregated result) of one key's window when it fires. */
export interface ProcessWindowFunction<IN, OUT, K extends Key, W> extends RichFunction {
  process(key: K, context: WindowContext<W>, elements: Iterable<IN>, out: Collector<OUT>): void;
  /** Called when the window is purged, to clean up per-window state. */
  clear?(context: WindowContext<W>): void;
}

export interface AllWindowFunction<IN, OUT, W> extends RichFunction {
  process(context: Omit<WindowContext<W>, 'globalState'>, elements: Iterable<IN>, out: Collector<OUT>): void;
}
