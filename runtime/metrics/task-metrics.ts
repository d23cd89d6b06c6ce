// What a task and its operators count while they run: plain fields the hot path
// adds to (records, watermarks, time per activity), read only when /metrics is
// scraped (task-families.ts). Every operator and task has them, exported or not.
import { BucketCounts } from './buckets.ts';
import { OperatorMetricGroup, type MetricGroup } from './user-metrics.ts';

/** No watermark yet (the runtime's MIN_WATERMARK). */
export const NO_WATERMARK = Number.MIN_SAFE_INTEGER;

/** Commit durations in seconds: from a local file rename to a slow transaction on a remote broker. */
export const COMMIT_BUCKETS: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Commits of a two-phase-committing sink: how long they took and how many failed. */
export class CommitStats {
  readonly durations = new BucketCounts(COMMIT_BUCKETS);
  failures = 0;

  /** Runs `commit`, timing it; a failure is counted and rethrown. */
  async time(commit: () => Promise<void>): Promise<void> {
    const started = performance.now();
    try {
      await commit();
    } catch (error) {
      this.failures++;
      throw error;
    } finally {
      this.durations.observe((performance.now() - started) / 1000);
    }
  }
}

/** Records delivered along one route of an operator's output (ChainOutput counts them). */
export interface CountedRoute {
  readonly count: number;
}

export class OperatorMetrics {
  /** Records the task handed to the operator as the head of its chain (counted per batch). */
  recordsFromTask = 0;
  /** This operator's output routes: main and side outputs. */
  readonly emits: CountedRoute[] = [];
  /** The routes of operators chained before this one that deliver to it. */
  readonly fedBy: CountedRoute[] = [];
  inputWatermark = NO_WATERMARK;
  outputWatermark = NO_WATERMARK;
  /** Set by sinks that commit (two-phase). */
  commits: CommitStats | undefined;
  /** The user function's metrics; bound to a registry when the task is registered with one. */
  user: MetricGroup;

  constructor(where = 'a user metric') {
    this.user = new OperatorMetricGroup(where);
  }

  /** Records handed to the operator: by the task, and by the operators chained before it. */
  get recordsIn(): number {
    let records = this.recordsFromTask;
    for (const route of this.fedBy) records += route.count;
    return records;
  }

  /** Records the operator delivered to its consumers, side outputs included. */
  get recordsOut(): number {
    let records = 0;
    for (const route of this.emits) records += route.count;
    return records;
  }
}

const BUSY = 0;
const IDLE = 1;
const BACKPRESSURED = 2;
const STOPPED = -1;

/**
 * Where a task's time goes, as wall-clock milliseconds: idle (waiting for input
 * or mail), backpressured (waiting for room downstream), busy (the rest). A
 * switch costs one `performance.now()`; the loop switches around its awaits only.
 */
export class TaskTimes {
  private busyMs = 0;
  private idleMs = 0;
  private backpressuredMs = 0;
  private activity = STOPPED;
  private since = 0;

  start(): void {
    this.switchTo(BUSY);
  }

  busy(): void {
    this.switchTo(BUSY);
  }

  idle(): void {
    this.switchTo(IDLE);
  }

  backpressured(): void {
    this.switchTo(BACKPRESSURED);
  }

  stop(): void {
    this.switchTo(STOPPED);
  }

  private switchTo(next: number): void {
    const now = performance.now();
    this.add(now);
    this.activity = next;
    this.since = now;
  }

  private add(now: number): void {
    const elapsed = now - this.since;
    if (this.activity === BUSY) this.busyMs += elapsed;
    else if (this.activity === IDLE) this.idleMs += elapsed;
    else if (this.activity === BACKPRESSURED) this.backpressuredMs += elapsed;
  }

  /** Seconds spent in each activity, the one under way included. */
  seconds(): { busy: number; idle: number; backpressured: number } {
    const now = performance.now();
    const running = this.activity === STOPPED ? 0 : now - this.since;
    return {
      busy: (this.busyMs + (this.activity === BUSY ? running : 0)) / 1000,
      idle: (this.idleMs + (this.activity === IDLE ? running : 0)) / 1000,
      backpressured: (this.backpressuredMs + (this.activity === BACKPRESSURED ? running : 0)) / 1000,
    };
  }
}
