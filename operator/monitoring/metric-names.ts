// The metric families Brook exports, read from the registrations themselves
// (runtime jobs, tasks and processes; the operator), and the names a PromQL
// expression uses: so the shipped dashboard and alerts can be checked against
// what a scrape really returns.
import { Registry } from 'prom-client';
import { registerJobFamilies } from '../../runtime/metrics/job-metrics.ts';
import { registerProcessMetrics } from '../../runtime/metrics/process-metrics.ts';
import { registerTaskFamilies } from '../../runtime/metrics/task-families.ts';
import { OperatorMetrics } from '../controller/metrics.ts';

/** Every family name with its type (`histogram` families answer to _bucket, _sum and _count). */
export async function exportedFamilies(): Promise<Map<string, string>> {
  const runtime = new Registry();
  registerJobFamilies(runtime, () => []);
  registerTaskFamilies(runtime, () => []);
  registerProcessMetrics(runtime);
  const operator = new OperatorMetrics(
    { queueDepth: () => 0, isLeader: () => false, lifecycleStates: () => [] },
    { processMetrics: false },
  );
  const families = new Map<string, string>();
  for (const registry of [runtime, operator.registry]) {
    for (const metric of await registry.getMetricsAsJSON()) families.set(metric.name, String(metric.type));
  }
  return families;
}

/** The series names an expression selects (`brook_…` identifiers not followed by `(`). */
export function seriesNames(expr: string): string[] {
  return [...new Set([...expr.matchAll(/\b(brook_[a-z0-9_]+)\b(?!\s*\()/g)].map((m) => m[1]!))];
}

/** Whether a series name belongs to an exported family (a histogram's _bucket, _sum, _count included). */
export function isExported(name: string, families: Map<string, string>): boolean {
  if (families.has(name)) return true;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return base !== name && (families.get(base) === 'histogram' || families.get(base) === 'summary');
}
