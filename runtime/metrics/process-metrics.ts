// Process metrics of a Brook process: prom-client's defaults (CPU, memory,
// heap, event loop lag, GC) with the `brook_` prefix, and the event loop's
// utilisation since the previous scrape, which the defaults lack.
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { collectDefaultMetrics, type Registry } from 'prom-client';
import { registerCollected } from './collected-metric.ts';

export const PROCESS_METRIC_PREFIX = 'brook_';

export function registerProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry, prefix: PROCESS_METRIC_PREFIX });
  let previous: EventLoopUtilization = performance.eventLoopUtilization();
  registerCollected(registry, {
    name: `${PROCESS_METRIC_PREFIX}nodejs_eventloop_utilization_ratio`,
    help: 'Share of time the event loop was busy since the previous scrape (0 to 1)',
    type: 'gauge',
    *collect() {
      const current = performance.eventLoopUtilization();
      const { utilization } = performance.eventLoopUtilization(current, previous);
      previous = current;
      yield { labels: {}, value: utilization };
    },
  });
}
