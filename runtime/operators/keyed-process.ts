// Keyed one-input operators: process (KeyedProcessFunction) and rolling reduce.
import type { KeyedProcessFunction, ReduceFunction } from '../api/functions.ts';
import type { Key } from '../state/key.ts';
import { valueState } from '../state/descriptors.ts';
import type { ValueState } from '../state/state.ts';
import { KeyedOperator, type AnyKeySelector } from './keyed-operator.ts';
import { KeyedFunctionOperator } from './keyed-function-operator.ts';

export class KeyedProcessOperator extends KeyedFunctionOperator<KeyedProcessFunction<Key, unknown, unknown>> {
  constructor(keySelector: AnyKeySelector, fn: KeyedProcessFunction<Key, unknown, unknown>) {
    super(fn, keySelector);
  }

  processElement(value: unknown, timestamp: number): void {
    this.setKeyFromRecord(value);
    this.setTimestamp(timestamp);
    this.fn.processElement(value, this.keyedContext, this.collector);
  }

  protected onTimer(timestamp: number): void {
    this.fn.onTimer?.(timestamp, this.keyedContext, this.collector);
  }
}

/** Rolling reduce on a keyed stream: emits the reduced value after every record. */
export class KeyedReduceOperator extends KeyedOperator {
  private state!: ValueState<unknown>;

  constructor(
    keySelector: AnyKeySelector,
    private readonly reduce: ReduceFunction<unknown>,
  ) {
    super(keySelector);
  }

  override open(): void {
    this.state = this.backend.getPartitionedState(valueState('_reduce')) as ValueState<unknown>;
  }

  processElement(value: unknown, timestamp: number): void {
    this.setKeyFromRecord(value);
    const current = this.state.value();
    const reduced = current === undefined ? value : this.reduce(current, value);
    this.state.update(reduced);
    this.output.collect(reduced, timestamp);
  }

  protected onEventTime(): void {}
  protected onProcessingTime(): void {}
}
