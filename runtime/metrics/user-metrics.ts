// Metrics that user functions define through their runtime context
// (`ctx.metrics.counter(...)`): plain numbers in the function's hot path,
// exported as `brook_user_<name>` with the operator's labels added.
import type { Registry } from 'prom-client';
import { BrookError } from '../errors.ts';
import { BucketCounts, bucketProblem, DEFAULT_BUCKETS } from './buckets.ts';
import { registerCollected, type Labels, type Sample } from './collected-metric.ts';

/** A count that only goes up (Prometheus counter): events seen, errors. */
export interface CounterMetric {
  inc(by?: number): void;
  readonly value: number;
}

/** A value that goes up and down (Prometheus gauge): a size, a temperature, a last-seen time. */
export interface GaugeMetric {
  set(value: number): void;
  inc(by?: number): void;
  dec(by?: number): void;
  readonly value: number;
}

/** A distribution of observed values in buckets (Prometheus histogram): latencies, sizes. */
export interface HistogramMetric {
  observe(value: number): void;
}

/**
 * The metrics of one operator instance, from `ctx.metrics` in `open`. Names
 * are Prometheus names without Brook's prefix: `counter('orders')` is exported
 * as `brook_user_orders_total{job_name, operator_uid, operator_name, subtask}`.
 * Asking twice for the same name gives the same metric.
 *
 * @example
 * open(ctx) {
 *   this.invalid = ctx.metrics.counter('invalid_orders', 'orders that failed validation')
 *   this.latency = ctx.metrics.histogram('enrichment_seconds', 'time to enrich an order', [0.001, 0.01, 0.1])
 * },
 * processElement(order, ctx, out) { if (!valid(order)) this.invalid.inc() ... }
 */
export interface MetricGroup {
  counter(name: string, help?: string): CounterMetric;
  /** With `read`, the value is read from it at every scrape (set/inc/dec are then ignored). */
  gauge(name: string, help?: string, read?: () => number): GaugeMetric;
  /** `buckets`: increasing upper bounds (default: prom-client's, 5 ms to 10 s). */
  histogram(name: string, help?: string, buckets?: readonly number[]): HistogramMetric;
}

export class InvalidMetricError extends BrookError {
  constructor(where: string, message: string) {
    super('BROOK_METRIC_INVALID', `${where}: ${message}`);
  }
}

type Kind = 'counter' | 'gauge' | 'histogram';

const NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
export const USER_METRIC_PREFIX = 'brook_user_';

/** The exported name of a user metric, or an error naming what is wrong with `name`. */
export function userMetricName(name: unknown, kind: Kind, where: string): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new InvalidMetricError(
      where,
      `metric name ${JSON.stringify(name)} is not a Prometheus name: use letters, digits and _, not starting with a digit (e.g. 'orders_rejected')`,
    );
  }
  if (kind !== 'counter' && name.endsWith('_total')) {
    throw new InvalidMetricError(where, `${kind} '${name}' must not end with _total: that suffix is for counters`);
  }
  if (kind === 'histogram' && /_(bucket|sum|count)$/.test(name)) {
    throw new InvalidMetricError(
      where,
      `histogram '${name}' must not end with _bucket, _sum or _count: Prometheus adds those to its samples`,
    );
  }
  const full = `${USER_METRIC_PREFIX}${name}`;
  return kind === 'counter' && !name.endsWith('_total') ? `${full}_total` : full;
}

class CounterCell implements CounterMetric {
  value = 0;
  constructor(private readonly where: string) {}
  inc(by = 1): void {
    if (!(by >= 0)) throw new InvalidMetricError(this.where, `a counter only goes up: inc(${by})`);
    this.value += by;
  }
}

class GaugeCell implements GaugeMetric {
  private current = 0;
  constructor(private readonly read?: () => number) {}
  get value(): number {
    return this.read ? this.read() : this.current;
  }
  set(value: number): void {
    this.current = value;
  }
  inc(by = 1): void {
    this.current += by;
  }
  dec(by = 1): void {
    this.current -= by;
  }
}

class HistogramCell implements HistogramMetric {
  constructor(readonly buckets: BucketCounts) {}
  observe(value: number): void {
    this.buckets.observe(value);
  }
}

type Cell = CounterCell | GaugeCell | HistogramCell;

/** Whoever owns a group's metrics: once closed (its attempt ended), they leave the exposition. */
export interface MetricOwner {
  readonly closed: boolean;
}

interface Family {
  kind: Kind;
  help: string;
  buckets?: readonly number[];
  entries: { owner: MetricOwner; labels: Labels; cell: Cell }[];
}

/** The user metric families of one registry: a family is registered with its first metric. */
export class UserMetricFamilies {
  private readonly families = new Map<string, Family>();

  constructor(private readonly registry: Registry) {}

  add(
    name: string,
    kind: Kind,
    help: string,
    entry: { owner: MetricOwner; labels: Labels; cell: Cell },
    where: string,
  ) {
    let family = this.families.get(name);
    if (!family) {
      family = { kind, help, entries: [] };
      if (entry.cell instanceof HistogramCell) family.buckets = entry.cell.buckets.bounds;
      this.families.set(name, family);
      const registered = family;
      registerCollected(this.registry, {
        name,
        help: help || `user metric ${name}`,
        type: kind,
        collect: () => this.samples(name, registered),
      });
    } else if (family.kind !== kind) {
      throw new InvalidMetricError(where, `metric '${name}' is already a ${family.kind} of another operator`);
    } else if (entry.cell instanceof HistogramCell && family.buckets!.join() !== entry.cell.buckets.bounds.join()) {
      throw new InvalidMetricError(
        where,
        `histogram '${name}' already has buckets [${family.buckets!.join(', ')}]; every instance must use the same`,
      );
    }
    family.entries.push(entry);
  }

  private *samples(name: string, family: Family): Iterable<Sample> {
    family.entries = family.entries.filter((e) => !e.owner.closed);
    for (const { labels, cell } of family.entries) {
      if (cell instanceof HistogramCell) yield* cell.buckets.samples(name, labels);
      else yield { labels, value: cell.value };
    }
  }
}

/**
 * An operator instance's MetricGroup. Without `families` (a job run without a
 * metrics registry) metrics still count, they are only not exported.
 */
export class OperatorMetricGroup implements MetricGroup {
  private readonly cells = new Map<string, { kind: Kind; cell: Cell }>();

  constructor(
    private readonly where: string,
    private readonly binding?: { families: UserMetricFamilies; labels: Labels; owner: MetricOwner },
  ) {}

  counter(name: string, help = ''): CounterMetric {
    return this.cell(name, 'counter', help, () => new CounterCell(this.where)) as CounterCell;
  }

  gauge(name: string, help = '', read?: () => number): GaugeMetric {
    if (read !== undefined && typeof read !== 'function')
      throw new InvalidMetricError(this.where, `gauge '${name}': read must be a function returning a number`);
    return this.cell(name, 'gauge', help, () => new GaugeCell(read)) as GaugeCell;
  }

  histogram(name: string, help = '', buckets: readonly number[] = DEFAULT_BUCKETS): HistogramMetric {
    return this.cell(name, 'histogram', help, () => {
      const problem = bucketProblem(buckets);
      if (problem) throw new InvalidMetricError(this.where, `histogram '${name}': ${problem}`);
      return new HistogramCell(new BucketCounts([...buckets]));
    }) as HistogramCell;
  }

  private cell(name: string, kind: Kind, help: string, create: () => Cell): Cell {
    const full = userMetricName(name, kind, this.where);
    const existing = this.cells.get(full);
    if (existing) {
      if (existing.kind !== kind)
        throw new InvalidMetricError(this.where, `metric '${name}' is already a ${existing.kind}`);
      return existing.cell;
    }
    const cell = create();
    if (this.binding) {
      const { families, labels, owner } = this.binding;
      families.add(full, kind, help, { owner, labels, cell }, this.where);
    }
    this.cells.set(full, { kind, cell });
    return cell;
  }
}
