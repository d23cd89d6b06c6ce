// One-input operators without keyed state: map, flatMap, filter, process,
// and the operator that assigns timestamps and watermarks mid-stream.
import type { Collector, FilterFunction, FlatMapFunction, MapFunction, ProcessFunction } from '../api/functions.ts';
import type { OutputTag } from '../api/output-tag.ts';
import { NO_TIMESTAMP } from '../execution/elements.ts';
import type { WatermarkGenerator, WatermarkOutput, WatermarkStrategy } from '../time/watermark-strategy.ts';
import { closeFunction, openFunction, StreamOperator } from './operator.ts';

/** Emits into the operator's output with the timestamp of the record being processed. */
export class TimestampedCollector<T> implements Collector<T> {
  timestamp = NO_TIMESTAMP;
  constructor(private readonly operator: { emit(value: unknown, timestamp: number): void }) {}
  collect(value: T): void {
    this.operator.emit(value, this.timestamp);
  }
}

/** A non-keyed operator around one user function: opens and closes it, and emits into the output. */
export abstract class UserFunctionOperator<F> extends StreamOperator {
  constructor(protected readonly fn: F) {
    super();
  }
  override async open(): Promise<void> {
    await openFunction(this.fn, this.runtimeContext());
  }
  override async close(): Promise<void> {
    await closeFunction(this.fn);
  }
  emit(value: unknown, timestamp: number): void {
    this.output.collect(value, timestamp);
  }
}

export class MapOperator extends UserFunctionOperator<MapFunction<unknown, unknown>> {
  processElement(value: unknown, timestamp: number): void {
    this.output.collect(this.fn(value), timestamp);
  }
}

export class FilterOperator extends UserFunctionOperator<FilterFunction<unknown>> {
  processElement(value: unknown, timestamp: number): void {
    if (this.fn(value)) this.output.collect(value, timestamp);
  }
}

export class FlatMapOperator extends UserFunctionOperator<FlatMapFunction<unknown, unknown>> {
  private readonly collector = new TimestampedCollector<unknown>(this);
  processElement(value: unknown, timestamp: number): void {
    this.collector.timestamp = timestamp;
    this.fn(value, this.collector);
  }
}

export function timestampOrUndefined(timestamp: number): number | undefined {
  return timestamp === NO_TIMESTAMP ? undefined : timestamp;
}

export class ProcessOperator extends UserFunctionOperator<ProcessFunction<unknown, unknown>> {
  private readonly collector = new TimestampedCollector<unknown>(this);
  private currentTimestamp = NO_TIMESTAMP;
  private readonly context = {
    timestamp: () => timestampOrUndefined(this.currentTimestamp),
    output: <X>(tag: OutputTag<X>, value: X) => this.output.collectSide(tag, value, this.currentTimestamp),
    timerService: () => ({
      currentProcessingTime: () => this.setupInfo.clock.now(),
      currentWatermark: () => this.currentWatermark,
      registerEventTimeTimer: this.noTimers,
      registerProcessingTimeTimer: this.noTimers,
      deleteEventTimeTimer: this.noTimers,
      deleteProcessingTimeTimer: this.noTimers,
    }),
  };
  private readonly noTimers = (): never => {
    throw new TypeError(`operator '${this.name}': timers need a keyed stream (use keyBy(...).process(...))`);
  };

  processElement(value: unknown, timestamp: number): void {
    this.currentTimestamp = timestamp;
    this.collector.timestamp = timestamp;
    this.fn.processElement(value, this.context, this.collector);
  }
}

/**
 * Assigns event timestamps and generates watermarks inside the stream
 * (assignTimestampsAndWatermarks). Upstream watermarks are replaced by its own.
 */
export class TimestampsAndWatermarksOperator extends StreamOperator implements WatermarkOutput {
  private generator!: WatermarkGenerator<unknown>;
  private emitted = Number.MIN_SAFE_INTEGER;
  private idle = false;
  private lastRecordAt = 0;
  private cancelTimer: (() => void) | undefined;

  constructor(
    private readonly strategy: WatermarkStrategy<unknown>,
    private readonly intervalMs: number,
  ) {
    super();
  }

  override open(): void {
    this.generator = this.strategy.createGenerator();
    this.lastRecordAt = this.setupInfo.clock.now();
    if (this.intervalMs > 0) this.schedulePeriodic();
  }

  private schedulePeriodic(): void {
    const at = this.setupInfo.clock.now() + this.intervalMs;
    this.cancelTimer = this.setupInfo.scheduleAt(at, () => {
      this.generator.onPeriodicEmit(this);
      const idleness = this.strategy.idlenessMs;
      if (idleness !== undefined && !this.idle && this.setupInfo.clock.now() - this.lastRecordAt >= idleness) {
        this.markIdle();
      }
      this.schedulePeriodic();
    });
  }

  processElement(value: unknown, timestamp: number): void {
    const assigner = this.strategy.timestampAssigner;
    const ts = assigner ? assigner(value, timestampOrUndefined(timestamp)) : timestamp;
    if (this.idle) this.markActive();
    this.lastRecordAt = this.setupInfo.clock.now();
    this.output.collect(value, ts);
    this.generator.onEvent(value, ts, this);
  }

  override processWatermark(timestamp: number): void {
    // Only the end-of-input watermark passes through; others are replaced by this operator's.
    if (timestamp === Number.MAX_SAFE_INTEGER) this.emitWatermark(timestamp);
  }

  override processWatermarkStatus(): void {}

  emitWatermark(timestamp: number): void {
    if (timestamp <= this.emitted) return;
    this.emitted = timestamp;
    if (this.idle) this.markActive();
    this.output.emitWatermark(timestamp);
  }

  markIdle(): void {
    if (this.idle) return;
    this.idle = true;
    this.output.emitWatermarkStatus(true);
  }

  markActive(): void {
    if (!this.idle) return;
    this.idle = false;
    this.output.emitWatermarkStatus(false);
  }

  override finish(): void {
    this.generator.onPeriodicEmit(this);
  }

  override close(): void {
    this.cancelTimer?.();
  }
}
