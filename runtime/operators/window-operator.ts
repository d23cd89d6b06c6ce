// The window operator (Flink's WindowOperator): assigns each record to windows
// of its key, keeps the window contents in keyed state (pre-aggregated or as a
// list), asks the trigger when to emit, handles allowed lateness, late-data side
// output, and session windows that merge.
import type { AggregateFunction, ProcessWindowFunction, WindowContext } from '../api/functions.ts';
import type { OutputTag } from '../api/output-tag.ts';
import { BrookError } from '../errors.ts';
import { NO_TIMESTAMP } from '../execution/elements.ts';
import { aggregatingState, listState, valueState } from '../state/descriptors.ts';
import type { Key } from '../state/key.ts';
import type { AggregatingState, ListState, ValueState } from '../state/state.ts';
import { VOID_NAMESPACE, type Namespace } from '../state/state-table.ts';
import type { WindowAssigner } from '../windows/assigners.ts';
import { MergingWindowSet } from '../windows/merging-window-set.ts';
import { maxTimestamp, type TimeWindow } from '../windows/time-window.ts';
import type { Trigger, TriggerContext, TriggerResult } from '../windows/triggers.ts';
import { KeyedOperator, type AnyKeySelector } from './keyed-operator.ts';
import { closeFunction, openFunction } from './operator.ts';
import { TimestampedCollector } from './stateless.ts';

/** How a window keeps its contents: incrementally aggregated, or every element. */
export type WindowContents =
  { kind: 'aggregate'; aggregate: AggregateFunction<unknown, unknown, unknown> } | { kind: 'list' };

export interface WindowOperatorSpec {
  assigner: WindowAssigner;
  trigger?: Trigger;
  allowedLatenessMs: number;
  lateDataTag?: OutputTag<unknown>;
  contents: WindowContents;
  /** Applied when the window fires; without it an aggregate's result is emitted as is. */
  windowFunction?: ProcessWindowFunction<unknown, unknown, Key, TimeWindow>;
}

/** An event-time window got a record without a timestamp; assigning it would put it in a window near -2^53. */
export class MissingTimestampError extends BrookError {
  constructor(assigner: string) {
    super(
      'BROOK_MISSING_TIMESTAMP',
      `${assigner} needs event timestamps, but the record has none: give its source a WatermarkStrategy with a timestamp assigner (or call assignTimestampsAndWatermarks), or use a processing-time window`,
    );
  }
}

type Contents = AggregatingState<unknown, unknown> | ListState<unknown>;
type PersistedMergingSet = [number, number, number, number][];

export class WindowOperator extends KeyedOperator {
  private contents!: Contents;
  private mergingState: ValueState<PersistedMergingSet> | undefined;
  private readonly trigger: Trigger;
  private readonly collector = new TimestampedCollector<unknown>(this);
  private window: TimeWindow = { start: 0, end: 0 };
  /** Records dropped because they arrived after their windows' allowed lateness. */
  lateRecordsDropped = 0;
  private readonly triggerContext: TriggerContext = {
    currentWatermark: () => this.currentWatermark,
    currentProcessingTime: () => this.setupInfo.clock.now(),
    registerEventTimeTimer: (t) => this.registerEventTimeTimer(t, this.window.start),
    registerProcessingTimeTimer: (t) => this.registerProcessingTimeTimer(t, this.window.start),
    deleteEventTimeTimer: (t) => this.deleteEventTimeTimer(t, this.window.start),
    deleteProcessingTimeTimer: (t) => this.deleteProcessingTimeTimer(t, this.window.start),
  };
  private windowContext!: WindowContext<TimeWindow>;

  constructor(
    keySelector: AnyKeySelector,
    private readonly spec: WindowOperatorSpec,
  ) {
    super(keySelector);
    this.trigger = spec.trigger ?? spec.assigner.defaultTrigger();
  }

  emit(value: unknown, timestamp: number): void {
    this.output.collect(value, timestamp);
  }

  override async open(): Promise<void> {
    const { contents } = this.spec;
    this.contents = (
      contents.kind === 'aggregate'
        ? this.backend.getPartitionedState(aggregatingState('_window-contents', contents.aggregate), true)
        : this.backend.getPartitionedState(listState('_window-contents'), true)
    ) as Contents;
    if (this.spec.assigner.isMerging) {
      this.mergingState = this.backend.getPartitionedState(
        valueState<PersistedMergingSet>('_merging-windows'),
      ) as ValueState<PersistedMergingSet>;
    }
    const currentWindow = () => this.window;
    this.windowContext = {
      get window() {
        return currentWindow();
      },
      currentProcessingTime: () => this.setupInfo.clock.now(),
      currentWatermark: () => this.currentWatermark,
      windowState: this.backend.stateAccess(true),
      globalState: this.backend.stateAccess(false),
      output: <X>(tag: OutputTag<X>, value: X) => this.output.collectSide(tag, value, maxTimestamp(this.window)),
    };
    if (this.spec.windowFunction) await openFunction(this.spec.windowFunction, this.runtimeContext());
  }

  override async close(): Promise<void> {
    await super.close();
    if (this.spec.windowFunction) await closeFunction(this.spec.windowFunction);
  }

  private cleanupTime(window: TimeWindow): number {
    const end = maxTimestamp(window);
    return this.spec.assigner.isEventTime ? end + this.spec.allowedLatenessMs : end;
  }

  private isWindowLate(window: TimeWindow): boolean {
    return this.spec.assigner.isEventTime && this.cleanupTime(window) <= this.currentWatermark;
  }

  private setWindow(window: TimeWindow, stateWindow: TimeWindow = window): void {
    this.window = window;
    this.backend.setCurrentNamespace(stateWindow.start);
  }

  processElement(value: unknown, timestamp: number): void {
    this.setKeyFromRecord(value);
    // Processing-time windows are chosen by the clock, not by the record's event time.
    const { assigner } = this.spec;
    if (assigner.isEventTime && timestamp === NO_TIMESTAMP) throw new MissingTimestampError(assigner.description);
    const windows = assigner.assignWindows(assigner.isEventTime ? timestamp : this.setupInfo.clock.now());
    let skipped = true;
    if (this.mergingState) {
      const set = new MergingWindowSet(this.mergingState.value());
      for (const window of windows) {
        const actual = set.addWindow(window, (result, merged, stateWindow, mergedStateWindows) => {
          this.window = result;
          this.trigger.onMerge(result, this.triggerContext);
          for (const m of merged) {
            this.window = m;
            this.trigger.clear(m, this.triggerContext);
            this.deleteCleanupTimer(m);
          }
          this.backend.mergeNamespaces(
            this.contentsDescriptor(),
            stateWindow.start,
            mergedStateWindows.map((w) => w.start),
          );
        });
        if (this.isWindowLate(actual)) {
          set.retireWindow(actual);
          continue;
        }
        skipped = false;
        this.setWindow(actual, set.getStateWindow(actual));
        this.addAndTrigger(value, timestamp, actual);
      }
      this.persistMergingSet(set);
    } else {
      for (const window of windows) {
        if (this.isWindowLate(window)) continue;
        skipped = false;
        this.setWindow(window);
        this.addAndTrigger(value, timestamp, window);
      }
    }
    if (skipped && this.spec.assigner.isEventTime && timestamp + this.spec.allowedLatenessMs <= this.currentWatermark) {
      if (this.spec.lateDataTag) this.output.collectSide(this.spec.lateDataTag, value, timestamp);
      else this.lateRecordsDropped++;
    }
  }

  private contentsDescriptor() {
    const { contents } = this.spec;
    return contents.kind === 'aggregate'
      ? aggregatingState('_window-contents', contents.aggregate)
      : listState('_window-contents');
  }

  private persistMergingSet(set: MergingWindowSet): void {
    if (set.isEmpty) this.mergingState!.clear();
    else this.mergingState!.update(set.persist());
  }

  private addAndTrigger(value: unknown, timestamp: number, window: TimeWindow): void {
    this.contents.add(value);
    const result = this.trigger.onElement(timestamp, window, this.triggerContext);
    this.applyTriggerResult(result, window);
    this.registerCleanupTimer(window);
  }

  private applyTriggerResult(result: TriggerResult, window: TimeWindow): void {
    if (result === 'fire' || result === 'fire-and-purge') this.emitWindow(window);
    if (result === 'purge' || result === 'fire-and-purge') this.contents.clear();
  }

  private emitWindow(window: TimeWindow): void {
    const stored = this.contents.get();
    if (stored === undefined || (Array.isArray(stored) && stored.length === 0)) return;
    const timestamp = maxTimestamp(window);
    this.collector.timestamp = timestamp;
    const fn = this.spec.windowFunction;
    if (!fn) {
      this.output.collect(stored, timestamp);
      return;
    }
    const elements = this.spec.contents.kind === 'aggregate' ? [stored] : (stored as unknown[]);
    fn.process(this.backend.getCurrentKey(), this.windowContext, elements, this.collector);
  }

  private registerCleanupTimer(window: TimeWindow): void {
    const time = this.cleanupTime(window);
    if (time === Number.MAX_SAFE_INTEGER) return;
    if (this.spec.assigner.isEventTime) this.registerEventTimeTimer(time, window.start);
    else this.registerProcessingTimeTimer(time, window.start);
  }

  private deleteCleanupTimer(window: TimeWindow): void {
    const time = this.cleanupTime(window);
    if (this.spec.assigner.isEventTime) this.deleteEventTimeTimer(time, window.start);
    else this.deleteProcessingTimeTimer(time, window.start);
  }

  /** The window (and its state window) a timer in `namespace` belongs to, or undefined if merged away. */
  private resolveWindow(namespace: Namespace): { window: TimeWindow; set?: MergingWindowSet } | undefined {
    const start = namespace as number;
    if (!this.mergingState) return { window: { start, end: start + this.spec.assigner.size! } };
    const set = new MergingWindowSet(this.mergingState.value());
    const window = set.windowStartingAt(start);
    if (!window) return undefined;
    this.setWindow(window, set.getStateWindow(window));
    return { window, set };
  }

  private onTimer(time: number, namespace: Namespace, eventTime: boolean): void {
    if (namespace === VOID_NAMESPACE) return;
    const resolved = this.resolveWindow(namespace);
    if (!resolved) return;
    const { window, set } = resolved;
    if (!set) this.setWindow(window);
    const result = eventTime
      ? this.trigger.onEventTime(time, window, this.triggerContext)
      : this.trigger.onProcessingTime(time, window, this.triggerContext);
    this.applyTriggerResult(result, window);
    if (eventTime === this.spec.assigner.isEventTime && time === this.cleanupTime(window))
      this.clearWindow(window, set);
  }

  private clearWindow(window: TimeWindow, set: MergingWindowSet | undefined): void {
    this.contents.clear();
    this.spec.windowFunction?.clear?.(this.windowContext);
    this.trigger.clear(window, this.triggerContext);
    if (set) {
      set.retireWindow(window);
      this.persistMergingSet(set);
    }
  }

  protected onEventTime(timestamp: number, namespace: Namespace): void {
    this.onTimer(timestamp, namespace, true);
  }

  protected onProcessingTime(timestamp: number, namespace: Namespace): void {
    this.onTimer(timestamp, namespace, false);
  }
}
