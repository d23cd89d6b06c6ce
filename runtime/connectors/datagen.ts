// The deterministic data generator: record i is generate(i, random seeded by
// (seed, i)), so a run produces the same records at any parallelism. Bounded
// (count) or unbounded, optionally rate-limited; what examples and benchmarks use.
import { SeededRandom, seedFor } from './random.ts';
import {
  staticSplitEnumerator,
  type InputStatus,
  type ReaderOutput,
  type Source,
  type SourceReader,
  type SourceReaderContext,
  type SourceSplit,
  type SplitBacklog,
} from './source.ts';

export interface DataGeneratorOptions<T> {
  generate(index: number, random: SeededRandom): T;
  /** Records in total; unbounded when absent. */
  count?: number;
  /** Records per second over all parallel readers; unlimited when absent. */
  recordsPerSecond?: number;
  seed?: number;
  /** Number of splits (default: the source parallelism). */
  splits?: number;
}

/** Split `i` of `n` generates indices i, i+n, i+2n, ... below `end`; `next` is its position. */
export interface DataGeneratorSplit extends SourceSplit {
  next: number;
  stride: number;
  end: number;
}

class DataGeneratorReader<T> implements SourceReader<T, DataGeneratorSplit> {
  private readonly splits: DataGeneratorSplit[] = [];
  private noMoreSplits = false;
  private readonly random = new SeededRandom();
  private readonly ratePerMs: number | undefined;
  private startedAt = 0;
  private emitted = 0;
  private cursor = 0;

  constructor(
    private readonly options: DataGeneratorOptions<T>,
    private readonly context: SourceReaderContext,
  ) {
    const rate = options.recordsPerSecond;
    this.ratePerMs = rate === undefined ? undefined : rate / context.parallelism / 1000;
  }

  start(): void {
    this.startedAt = this.context.now();
  }

  addSplits(splits: DataGeneratorSplit[]): void {
    this.splits.push(...splits.map((s) => ({ ...s })));
  }

  notifyNoMoreSplits(): void {
    this.noMoreSplits = true;
  }

  private allowance(maxRecords: number): number {
    if (this.ratePerMs === undefined) return maxRecords;
    const due = Math.floor((this.context.now() - this.startedAt) * this.ratePerMs) - this.emitted;
    return Math.max(0, Math.min(maxRecords, due));
  }

  pollNext(output: ReaderOutput<T>, maxRecords: number): InputStatus {
    const live = this.splits.filter((s) => s.next < s.end);
    if (live.length === 0) return this.noMoreSplits ? 'end' : 'nothing';
    // Every split holds the watermark back from the start, not only once it has emitted.
    for (const split of live) output.forSplit(split.id);
    let budget = this.allowance(maxRecords);
    if (budget === 0) return 'nothing';
    const seed = this.options.seed ?? 0;
    while (budget > 0) {
      const split = live[this.cursor++ % live.length]!;
      const out = output.forSplit(split.id);
      const chunk = Math.min(budget, Math.ceil((split.end - split.next) / split.stride));
      for (let n = 0; n < chunk; n++) {
        const index = split.next;
        split.next += split.stride;
        out.collect(this.options.generate(index, this.random.reset(seedFor(seed, index))));
      }
      this.emitted += chunk;
      budget -= chunk;
      if (split.next >= split.end) {
        output.releaseSplit(split.id);
        return 'more';
      }
    }
    return 'more';
  }

  isAvailable(): Promise<void> {
    if (this.ratePerMs === undefined) return new Promise((resolve) => setImmediate(resolve));
    const waitMs = Math.max(1, Math.ceil(1 / this.ratePerMs));
    return new Promise((resolve) => setTimeout(resolve, Math.min(waitMs, 50)));
  }

  /** Bounded splits: the records each has left to generate. */
  pendingRecords(): SplitBacklog[] {
    return this.splits
      .filter((s) => Number.isFinite(s.end))
      .map((s) => ({ split: s.id, records: Math.max(0, Math.ceil((s.end - s.next) / s.stride)) }));
  }

  snapshotState(): DataGeneratorSplit[] {
    return this.splits.map((s) => ({ ...s }));
  }
}

/**
 * A deterministic, seeded, optionally rate-limited source.
 *
 * @example
 * env.fromSource(dataGenerator({ count: 1_000_000, seed: 7, generate: (i, r) => ({ user: `u${r.int(0, 100)}`, i }) }))
 */
export function dataGenerator<T>(options: DataGeneratorOptions<T>): Source<T, DataGeneratorSplit> {
  const count = options.count ?? Number.POSITIVE_INFINITY;
  if (!(count >= 0)) throw new RangeError(`data generator count must be >= 0, got ${options.count}`);
  if (options.recordsPerSecond !== undefined && !(options.recordsPerSecond > 0)) {
    throw new RangeError(`data generator recordsPerSecond must be > 0, got ${options.recordsPerSecond}`);
  }
  return {
    boundedness: Number.isFinite(count) ? 'bounded' : 'continuous',
    createEnumerator(context) {
      const n = options.splits ?? context.parallelism;
      const splits = Array.from({ length: n }, (_, i) => ({ id: `datagen-${i}`, next: i, stride: n, end: count }));
      return staticSplitEnumerator(context, splits);
    },
    createReader: (context: SourceReaderContext) => new DataGeneratorReader(options, context),
  };
}
