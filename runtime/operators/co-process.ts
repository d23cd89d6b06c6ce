// Two-input operators: connect + (Keyed)CoProcessFunction, and the broadcast
// state pattern, where input 2 is the broadcast side.
import type {
  BroadcastContext,
  BroadcastProcessFunction,
  CoProcessFunction,
  KeyedBroadcastContext,
  KeyedBroadcastProcessFunction,
  KeyedCoProcessFunction,
  ReadOnlyBroadcastContext,
  TimerService,
} from '../api/functions.ts';
import type { OutputTag } from '../api/output-tag.ts';
import { NO_TIMESTAMP } from '../execution/elements.ts';
import { BroadcastStateStore } from '../state/broadcast-state.ts';
import type { AnyStateDescriptor, MapStateDescriptor } from '../state/descriptors.ts';
import type { Key } from '../state/key.ts';
import type { AnyKeySelector } from './keyed-operator.ts';
import { KeyedFunctionOperator } from './keyed-function-operator.ts';
import type { OperatorRestore, OperatorSnapshot } from './operator.ts';
import { TimestampedCollector, timestampOrUndefined, UserFunctionOperator } from './stateless.ts';

export class CoProcessOperator extends UserFunctionOperator<CoProcessFunction<unknown, unknown, unknown>> {
  private readonly collector = new TimestampedCollector<unknown>(this);
  private currentTimestamp = NO_TIMESTAMP;
  private readonly context = {
    timestamp: () => timestampOrUndefined(this.currentTimestamp),
    output: <X>(tag: OutputTag<X>, value: X) => this.output.collectSide(tag, value, this.currentTimestamp),
    timerService: (): TimerService => {
      throw new TypeError(`operator '${this.name}': timers need keyed streams (connect two keyed streams)`);
    },
  };

  processElement(value: unknown, timestamp: number): void {
    this.currentTimestamp = this.collector.timestamp = timestamp;
    this.fn.processElement1(value, this.context, this.collector);
  }

  override processElement2(value: unknown, timestamp: number): void {
    this.currentTimestamp = this.collector.timestamp = timestamp;
    this.fn.processElement2(value, this.context, this.collector);
  }
}

export class KeyedCoProcessOperator extends KeyedFunctionOperator<
  KeyedCoProcessFunction<Key, unknown, unknown, unknown>
> {
  constructor(
    keySelector1: AnyKeySelector,
    keySelector2: AnyKeySelector,
    fn: KeyedCoProcessFunction<Key, unknown, unknown, unknown>,
  ) {
    super(fn, keySelector1, keySelector2);
  }

  processElement(value: unknown, timestamp: number): void {
    this.setKeyFromRecord(value, 1);
    this.setTimestamp(timestamp);
    this.fn.processElement1(value, this.keyedContext, this.collector);
  }

  override processElement2(value: unknown, timestamp: number): void {
    this.setKeyFromRecord(value, 2);
    this.setTimestamp(timestamp);
    this.fn.processElement2(value, this.keyedContext, this.collector);
  }

  protected onTimer(timestamp: number): void {
    this.fn.onTimer?.(timestamp, this.keyedContext, this.collector);
  }
}

/** What an operator's broadcast contexts read from it. */
interface BroadcastOwner {
  emitSide(tag: OutputTag<unknown>, value: unknown): void;
  timestamp(): number;
  now(): number;
  watermark(): number;
}

/**
 * The broadcast states of a broadcast operator, kept in its operator state across checkpoints,
 * and the two contexts over them: read-only for the regular side, writable for the broadcast side.
 */
class OperatorBroadcastState {
  private readonly store = new BroadcastStateStore();
  readonly readOnly: ReadOnlyBroadcastContext;
  readonly writable: BroadcastContext;

  constructor(operator: BroadcastOwner) {
    const common = {
      timestamp: () => timestampOrUndefined(operator.timestamp()),
      output: <X>(tag: OutputTag<X>, value: X) => operator.emitSide(tag, value),
      currentProcessingTime: () => operator.now(),
      currentWatermark: () => operator.watermark(),
    };
    this.readOnly = {
      ...common,
      getBroadcastState: <K, V>(d: MapStateDescriptor<K, V>) => this.store.readOnly<K, V>(d.name),
    };
    this.writable = {
      ...common,
      getBroadcastState: <K, V>(d: MapStateDescriptor<K, V>) => this.store.get<K, V>(d.name),
    };
  }

  /** The descriptors given to broadcast(...): the only states that exist. */
  declare(names: string[]): void {
    this.store.declare(names);
  }

  /** Adds the broadcast states to the operator's snapshot. */
  snapshotInto(snapshot: OperatorSnapshot): OperatorSnapshot {
    snapshot.operator.broadcast = this.store.snapshot();
    return snapshot;
  }

  restore(restore: OperatorRestore): void {
    this.store.restore(restore.operator.broadcast);
  }
}

/** Non-keyed stream connected with a broadcast stream (input 2). */
export class BroadcastProcessOperator extends UserFunctionOperator<
  BroadcastProcessFunction<unknown, unknown, unknown>
> {
  private readonly collector = new TimestampedCollector<unknown>(this);
  private currentTimestamp = NO_TIMESTAMP;
  private readonly broadcast = new OperatorBroadcastState({
    emitSide: (tag, value) => this.output.collectSide(tag, value, this.currentTimestamp),
    timestamp: () => this.currentTimestamp,
    now: () => this.setupInfo.clock.now(),
    watermark: () => this.currentWatermark,
  });

  constructor(fn: BroadcastProcessFunction<unknown, unknown, unknown>, declared: string[]) {
    super(fn);
    this.broadcast.declare(declared);
  }

  override snapshotState(checkpointId: number): OperatorSnapshot {
    return this.broadcast.snapshotInto(super.snapshotState(checkpointId));
  }

  override restoreState(restore: OperatorRestore): void {
    super.restoreState(restore);
    this.broadcast.restore(restore);
  }

  processElement(value: unknown, timestamp: number): void {
    this.currentTimestamp = this.collector.timestamp = timestamp;
    this.fn.processElement(value, this.broadcast.readOnly, this.collector);
  }

  override processElement2(value: unknown, timestamp: number): void {
    this.currentTimestamp = this.collector.timestamp = timestamp;
    this.fn.processBroadcastElement(value, this.broadcast.writable, this.collector);
  }
}

/** Keyed stream connected with a broadcast stream (input 2): keyed state and timers on the regular side. */
export class KeyedBroadcastProcessOperator extends KeyedFunctionOperator<
  KeyedBroadcastProcessFunction<Key, unknown, unknown, unknown>
> {
  private readonly broadcast = new OperatorBroadcastState({
    emitSide: (tag, value) => this.output.collectSide(tag, value, this.currentTimestamp),
    timestamp: () => this.currentTimestamp,
    now: () => this.setupInfo.clock.now(),
    watermark: () => this.currentWatermark,
  });
  private readonly elementContext = {
    ...this.broadcast.readOnly,
    getCurrentKey: () => this.backend.getCurrentKey(),
    timerService: () => this.userTimerService(),
  };
  private readonly timerContext = { ...this.keyedContext, ...this.broadcast.readOnly };
  private readonly broadcastSideContext: KeyedBroadcastContext = {
    ...this.broadcast.writable,
    applyToKeyedState: <S>(descriptor: AnyStateDescriptor & { __state?: S }, fn: (key: Key, state: S) => void) =>
      this.backend.applyToAllKeys(descriptor, fn as (key: Key, state: unknown) => void),
  };

  constructor(
    keySelector: AnyKeySelector,
    fn: KeyedBroadcastProcessFunction<Key, unknown, unknown, unknown>,
    declared: string[],
  ) {
    super(fn, keySelector);
    this.broadcast.declare(declared);
  }

  override snapshotState(checkpointId: number): OperatorSnapshot {
    return this.broadcast.snapshotInto(super.snapshotState(checkpointId));
  }

  override restoreState(restore: OperatorRestore): void {
    super.restoreState(restore);
    this.broadcast.restore(restore);
  }

  processElement(value: unknown, timestamp: number): void {
    this.setKeyFromRecord(value, 1);
    this.setTimestamp(timestamp);
    this.fn.processElement(value, this.elementContext, this.collector);
  }

  override processElement2(value: unknown, timestamp: number): void {
    this.clearCurrentKey();
    this.setTimestamp(timestamp);
    this.fn.processBroadcastElement(value, this.broadcastSideContext, this.collector);
  }

  protected onTimer(timestamp: number): void {
    this.fn.onTimer?.(timestamp, this.timerContext, this.collector);
  }
}
