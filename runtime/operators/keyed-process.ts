// Keyed one-input operators: process (KeyedProcessFunction) and rolling reduce.
import type { KeyedProcessFunction, OnTimerContext, ReduceFunction } from '../api/functions.ts';
import type { OutputTag } from '../api/output-tag.ts';
import { NO_TIMESTAMP } from '../execution/elements.ts';
import type { Key } from '../state/key.ts';
import { valueState } from '../state/descriptors.ts';
import type { ValueState } from '../state/state.ts';
import { KeyedOperator, type AnyKeySelector } from './keyed-operator.ts';
import { closeFunction, openFunction } from './operator.ts';
import { TimestampedCollector, timestampOrUndefined } from './stateless.ts';

export class KeyedProcessOperator extends KeyedOperator {
  private readonly collector = new TimestampedCollector<unknown>(this);
  private currentTimestamp = NO_TIMESTAMP;
  private timeDomain: 'event-time' | 'processing-time' = 'event-time';
  private readonly context: OnTimerContext<Key> = {
    timestamp: () => timestampOrUndefined(this.currentTimestamp),
    output: <X>(tag: OutputTag<X>, value: X) => this.output.collectSide(tag, value, this.currentTimestamp),
    getCurrentKey: () => this.backend.getCurrentKey(),
    timerService: () => this.userTimerService(),
    timeDomain: () => this.timeDomain,
  };

  constructor(
    keySelector: AnyKeySelector,
    private readonly fn: KeyedProcessFunction<Key, unknown, unknown>,
  ) {
    super(keySelector);
  }

  emit(value: unknown, timestamp: number): void {
    this.output.collect(value, timestamp);
  }

  override async open(): Promise<void> {
    await openFunction(this.fn, this.runtimeContext(this.backend.stateAccess()));
  }

  override async close(): Promise<void> {
    await super.close();
    await closeFunction(this.fn);
  }

  processElement(value: unknown, timestamp: number): void {
    this.setKeyFromRecord(value);
    this.currentTimestamp = timestamp;
    this.collector.timestamp = timestamp;
    this.fn.processElement(value, this.context, this.collector);
  }

  private fire(timestamp: number, domain: 'event-time' | 'processing-time'): void {
    if (!this.fn.onTimer) return;
    this.timeDomain = domain;
    // Timer output carries the timer's time as its timestamp (event time), as in Flink.
    this.currentTimestamp = domain === 'event-time' ? timestamp : NO_TIMESTAMP;
    this.collector.timestamp = this.currentTimestamp;
    this.fn.onTimer(timestamp, this.context, this.collector);
  }

  protected onEventTime(timestamp: number): void {
    this.fire(timestamp, 'event-time');
  }

  protected onProcessingTime(timestamp: number): void {
    this.fire(timestamp, 'processing-time');
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
