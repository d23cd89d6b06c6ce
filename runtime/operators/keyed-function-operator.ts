// The base of keyed operators that run one user function with the Flink
// process-function context: current key, timestamp, timers, side outputs.
import type { OnTimerContext, RichFunction } from '../api/functions.ts';
import type { OutputTag } from '../api/output-tag.ts';
import { NO_TIMESTAMP } from '../execution/elements.ts';
import type { Key } from '../state/key.ts';
import { KeyedOperator, type AnyKeySelector } from './keyed-operator.ts';
import { closeFunction, openFunction } from './operator.ts';
import { TimestampedCollector, timestampOrUndefined } from './stateless.ts';

export abstract class KeyedFunctionOperator<F extends RichFunction> extends KeyedOperator {
  protected readonly collector = new TimestampedCollector<unknown>(this);
  protected currentTimestamp = NO_TIMESTAMP;
  protected timeDomain: 'event-time' | 'processing-time' = 'event-time';
  protected readonly keyedContext: OnTimerContext<Key> = {
    timestamp: () => timestampOrUndefined(this.currentTimestamp),
    output: <X>(tag: OutputTag<X>, value: X) => this.output.collectSide(tag, value, this.currentTimestamp),
    getCurrentKey: () => this.backend.getCurrentKey(),
    timerService: () => this.userTimerService(),
    timeDomain: () => this.timeDomain,
  };

  constructor(
    protected readonly fn: F,
    keySelector: AnyKeySelector,
    keySelector2?: AnyKeySelector,
  ) {
    super(keySelector, keySelector2);
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

  protected setTimestamp(timestamp: number): void {
    this.currentTimestamp = this.collector.timestamp = timestamp;
  }

  /** Calls the function's onTimer, if it has one. */
  protected abstract onTimer(timestamp: number): void;

  // Timer output carries the timer's time as its timestamp in event time, none in processing time (as in Flink).
  protected onEventTime(timestamp: number): void {
    this.timeDomain = 'event-time';
    this.setTimestamp(timestamp);
    this.onTimer(timestamp);
  }

  protected onProcessingTime(timestamp: number): void {
    this.timeDomain = 'processing-time';
    this.setTimestamp(NO_TIMESTAMP);
    this.onTimer(timestamp);
  }
}
