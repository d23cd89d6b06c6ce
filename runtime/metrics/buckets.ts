// Histogram buckets counted with plain numbers (an observation is a loop over
// the bounds), turned into Prometheus' cumulative `_bucket`, `_sum` and
// `_count` samples only when /metrics is scraped.
import type { Labels, Sample } from './collected-metric.ts';

/** prom-client's default buckets, in seconds. */
export const DEFAULT_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class BucketCounts {
  /** Observations per bucket (not cumulative); the last slot is +Inf. */
  private readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[] = DEFAULT_BUCKETS) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  /** The samples of a histogram named `name` with `labels`. */
  *samples(name: string, labels: Labels): Iterable<Sample> {
    let cumulative = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      cumulative += this.counts[i]!;
      yield { metricName: `${name}_bucket`, labels: { ...labels, le: this.bounds[i]! }, value: cumulative };
    }
    yield { metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: this.count };
    yield { metricName: `${name}_sum`, labels, value: this.sum };
    yield { metricName: `${name}_count`, labels, value: this.count };
  }
}

/** Bounds must be finite and strictly increasing; returns a message naming the problem, or undefined. */
export function bucketProblem(bounds: readonly number[]): string | undefined {
  if (bounds.length === 0) return 'a histogram needs at least one bucket';
  for (let i = 0; i < bounds.length; i++) {
    if (!Number.isFinite(bounds[i])) return `bucket bound ${bounds[i]} is not a finite number`;
    if (i > 0 && bounds[i]! <= bounds[i - 1]!) return `bucket bounds must increase, got ${bounds.join(', ')}`;
  }
  return undefined;
}
