// Drives a SourceReader inside a source task: stamps records with event time,
// generates watermarks per split (combined by minimum, idle splits ignored),
// and emits them periodically.
import type { OutputTag } from '../api/output-tag.ts';
import type { ReaderOutput, Source, SourceReader, SourceSplit, SplitOutput } from '../connectors/source.ts';
import { MAX_WATERMARK, NO_TIMESTAMP } from '../execution/elements.ts';
import { WatermarkCombiner } from '../time/watermark-combiner.ts';
import type { WatermarkGenerator, WatermarkOutput, WatermarkStrategy } from '../time/watermark-strategy.ts';
import { StreamOperator, type OperatorSnapshot } from './operator.ts';

interface SplitState {
  index: number;
  generator: WatermarkGenerator<unknown>;
  watermarks: WatermarkOutput;
  recordsSincePeriodic: number;
  quietMs: number;
  idle: boolean;
  out: SplitOutput<unknown>;
}

export class SourceOperator extends StreamOperator implements ReaderOutput<unknown> {
  reader!: SourceReader<unknown, SourceSplit>;
  private readonly splits = new Map<string, SplitState>();
  private readonly combiner = new WatermarkCombiner();
  private emittedWatermark = Number.MIN_SAFE_INTEGER;
  private idleEmitted = false;
  private cancelPeriodic: (() => void) | undefined;
  private mainOut: SplitOutput<unknown> | undefined;
  private assignedSplits = 0;

  constructor(
    private readonly source: Source<unknown, SourceSplit>,
    private readonly strategy: WatermarkStrategy<unknown> | undefined,
    private readonly intervalMs: number,
  ) {
    super();
  }

  override async open(): Promise<void> {
    const s = this.setupInfo;
    this.reader = this.source.createReader({
      subtaskIndex: s.subtaskIndex,
      parallelism: s.parallelism,
      now: () => s.clock.now(),
      log: s.log,
    });
    await this.reader.start?.();
    if (this.strategy && this.intervalMs > 0) this.schedulePeriodic();
  }

  processElement(): void {
    throw new Error('a source operator has no input');
  }

  /** Splits from the enumerator, counted on their way to the reader (a reader without any is idle). */
  addSplits(splits: SourceSplit[]): void {
    this.assignedSplits += splits.length;
    this.reader.addSplits(splits);
  }

  private schedulePeriodic(): void {
    const at = this.setupInfo.clock.now() + this.intervalMs;
    this.cancelPeriodic = this.setupInfo.scheduleAt(at, () => {
      this.emitPeriodicWatermark();
      this.schedulePeriodic();
    });
  }

  /** Asks every split's generator for its watermark and emits the minimum when it advanced. */
  emitPeriodicWatermark(): void {
    const idleness = this.strategy?.idlenessMs;
    for (const split of this.splits.values()) {
      if (idleness !== undefined && split.recordsSincePeriodic === 0) {
        split.quietMs += this.intervalMs;
        if (!split.idle && split.quietMs >= idleness) {
          split.idle = true;
          this.advance(this.combiner.setIdle(split.index, true));
        }
      }
      split.recordsSincePeriodic = 0;
      // An idle split stays idle until its next record: a periodic watermark would mark it active again.
      if (!split.idle) split.generator.onPeriodicEmit(split.watermarks);
    }
    // A reader that was never given a split (more readers than Kafka partitions, say) is idle:
    // it must not hold event time back. One that holds splits but has not emitted yet is not.
    const idle = this.assignedSplits === 0 ? this.strategy !== undefined : this.combiner.isIdle;
    if (idle !== this.idleEmitted) {
      this.idleEmitted = idle;
      this.output.emitWatermarkStatus(idle);
    }
  }

  private advance(watermark: number | undefined): void {
    if (watermark === undefined || watermark <= this.emittedWatermark) return;
    this.emittedWatermark = watermark;
    this.output.emitWatermark(watermark);
  }

  /** Records not tied to a split share one watermark generator, created on first use. */
  collect(value: unknown, timestamp?: number): void {
    (this.mainOut ??= this.forSplit('')).collect(value, timestamp);
  }

  forSplit(splitId: string): SplitOutput<unknown> {
    const existing = this.splits.get(splitId);
    if (existing) return existing.out;
    const strategy = this.strategy;
    const assigner = strategy?.timestampAssigner;
    const output = this.output;
    const index = this.combiner.addInput();
    const state: SplitState = {
      index,
      generator: strategy ? strategy.createGenerator() : { onEvent() {}, onPeriodicEmit() {} },
      watermarks: {
        emitWatermark: (t) => this.advance(this.combiner.update(index, t)),
        markIdle: () => this.advance(this.combiner.setIdle(index, true)),
        markActive: () => this.advance(this.combiner.setIdle(index, false)),
      },
      recordsSincePeriodic: 0,
      quietMs: 0,
      idle: false,
      out: {
        collect(value, timestamp) {
          const ts = assigner ? assigner(value, timestamp) : (timestamp ?? NO_TIMESTAMP);
          state.recordsSincePeriodic++;
          if (state.idle) {
            state.idle = false;
            state.quietMs = 0;
          }
          // The record goes out before any watermark it causes, as in Flink.
          output.collect(value, ts);
          if (strategy) state.generator.onEvent(value, ts, state.watermarks);
        },
      },
    };
    this.splits.set(splitId, state);
    return state.out;
  }

  releaseSplit(splitId: string): void {
    const split = this.splits.get(splitId);
    if (!split) return;
    split.generator.onPeriodicEmit({
      emitWatermark: (t) => this.combiner.update(split.index, t),
      markIdle() {},
      markActive() {},
    });
    this.advance(this.combiner.finish(split.index));
    this.splits.delete(splitId);
  }

  collectSide<X>(tag: OutputTag<X>, value: X, timestamp?: number): void {
    this.output.collectSide(tag, value, timestamp ?? NO_TIMESTAMP);
  }

  override notifyCheckpointComplete(checkpointId: number): void | Promise<void> {
    return this.reader?.notifyCheckpointComplete?.(checkpointId);
  }

  override snapshotState(checkpointId: number): OperatorSnapshot {
    const snapshot = super.snapshotState(checkpointId);
    snapshot.operator.splits = this.reader.snapshotState(checkpointId);
    return snapshot;
  }

  /** End of input: the final watermark closes event time downstream. */
  override finish(): void {
    this.output.emitWatermark(MAX_WATERMARK);
  }

  /** Stop with drain: event time ends here (every event-time window and timer fires downstream) before the savepoint. */
  drain(): void {
    this.output.emitWatermark(MAX_WATERMARK);
  }

  override async close(): Promise<void> {
    this.cancelPeriodic?.();
    await this.reader?.close?.();
  }
}
