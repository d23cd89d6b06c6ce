// Progress on stderr while the job runs: records in and out per second,
// checkpoints completed, late and dead-lettered records, and the latest
// recommendations. Counted in this process (brook run's mini-cluster).
import type { Recommendation } from './scoring.ts';

export interface ProgressOptions {
  /** How often a report is printed; 0: never. */
  intervalMs: number;
  write?: (line: string) => void;
  now?: () => number;
}

export class Progress {
  readonly recordsIn = new Map<string, number>();
  recordsOut = 0;
  lateRecords = 0;
  unknownProducts = 0;
  deadLetters = 0;
  private readonly checkpoints = new Set<number>();
  private latest: Recommendation[] = [];
  private timer: NodeJS.Timeout | undefined;
  private users = 0;
  private last = { at: 0, in: 0, out: 0 };
  private readonly write: (line: string) => void;
  private readonly now: () => number;

  constructor(private readonly options: ProgressOptions) {
    this.write = options.write ?? ((line) => process.stderr.write(`${line}\n`));
    this.now = options.now ?? Date.now;
  }

  /** A source reader started; the first one starts the reports. */
  attach(): void {
    if (this.users++ === 0 && this.options.intervalMs > 0) {
      this.last = { at: this.now(), in: this.totalIn(), out: this.recordsOut };
      this.timer = setInterval(() => this.report(), this.options.intervalMs);
      this.timer.unref();
    }
  }

  /** A source reader closed; when the last one has, the reports stop. */
  detach(): void {
    if (--this.users === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  countIn(source: string, records: number): void {
    this.recordsIn.set(source, (this.recordsIn.get(source) ?? 0) + records);
  }

  checkpointCompleted(checkpointId: number): void {
    this.checkpoints.add(checkpointId);
  }

  get checkpointsCompleted(): number {
    return this.checkpoints.size;
  }

  recommendation(r: Recommendation): void {
    this.recordsOut++;
    this.latest = [r, ...this.latest.filter((l) => l.userId !== r.userId)].slice(0, 3);
  }

  totalIn(): number {
    let total = 0;
    for (const n of this.recordsIn.values()) total += n;
    return total;
  }

  /** The report: one summary line, then one line per latest recommendation. */
  lines(): string[] {
    const now = this.now();
    const seconds = Math.max(0.001, (now - this.last.at) / 1000);
    const inRate = (this.totalIn() - this.last.in) / seconds;
    const outRate = (this.recordsOut - this.last.out) / seconds;
    this.last = { at: now, in: this.totalIn(), out: this.recordsOut };
    const perSource = [...this.recordsIn].map(([source, n]) => `${source} ${n}`).join(', ');
    const summary =
      `recommendation: in ${inRate.toFixed(0)}/s (${perSource}), out ${outRate.toFixed(0)}/s (${this.recordsOut}), ` +
      `checkpoints ${this.checkpoints.size}, late ${this.lateRecords}, unknown products ${this.unknownProducts}, ` +
      `dead letters ${this.deadLetters}`;
    return [summary, ...this.latest.map((r) => `  ${describeRecommendation(r, 5)}`)];
  }

  report(): void {
    for (const line of this.lines()) this.write(line);
  }
}

/** `u0042 @2024-01-01T01:05:00.000Z: p0017 0.83, p0003 0.71, ...` */
export function describeRecommendation(r: Recommendation, shown: number): string {
  const items = r.items.slice(0, shown).map((i) => `${i.productId} ${i.score.toFixed(2)}`);
  const more = r.items.length > shown ? `, ... (${r.items.length})` : '';
  return `${r.userId} @${new Date(r.windowEnd).toISOString()}: ${items.join(', ') || '(none)'}${more}`;
}
