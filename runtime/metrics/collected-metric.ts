// A Prometheus metric family whose samples are read from plain numbers when
// /metrics is scraped. The hot path only adds to fields; nothing is hashed or
// allocated per record (a prom-client Counter hashes its labels on every inc).
import type { Metric, Registry } from 'prom-client';

export type MetricType = 'counter' | 'gauge' | 'histogram';

export type Labels = Readonly<Record<string, string | number>>;

/** One line of the exposition: `metricName` (default: the family's name), labels and value. */
export interface Sample {
  labels: Labels;
  value: number;
  metricName?: string;
}

export interface CollectedFamily {
  name: string;
  help: string;
  type: MetricType;
  /** Called at every scrape; yields the family's current samples. */
  collect(): Iterable<Sample>;
}

/**
 * Registers `family` in a prom-client registry. The registry formats any
 * metric that has `name`, `help`, `type` and `get()` (its own Counter, Gauge
 * and Histogram are such objects); this one computes its values in `get()`.
 *
 * @example
 * registerCollected(registry, {
 *   name: 'brook_task_busy_seconds_total', help: 'time busy', type: 'counter',
 *   *collect() { for (const t of tasks) yield { labels: t.labels, value: t.busySeconds() } },
 * })
 */
export function registerCollected(registry: Registry, family: CollectedFamily): void {
  const { name, help, type } = family;
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum',
    get: () => Promise.resolve({ name, help, type, values: [...family.collect()], aggregator: 'sum' }),
    reset() {},
  };
  registry.registerMetric(metric as unknown as Metric);
}
