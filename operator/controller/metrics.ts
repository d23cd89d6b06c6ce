// The operator's Prometheus metrics (prom-client), in a registry of its own:
// reconciles by result and their duration, errors by source, queue depth,
// actions taken, leadership, and StreamDeployments per lifecycle state.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { lifecycleStates } from '../resource/stream-deployment-status.ts';

export type ReconcileResult = 'success' | 'error' | 'conflict' | 'paused' | 'invalid' | 'gone' | 'not-leader';
export type ErrorSource = 'reconcile' | 'snapshot' | 'informer' | 'leader-election' | 'event';

export interface MetricsSources {
  queueDepth: () => number;
  /** The lifecycle state of every StreamDeployment in the cache ('' when it has none yet). */
  lifecycleStates: () => string[];
  isLeader: () => boolean;
}

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconciles: Counter<'result'>;
  readonly reconcileDuration: Histogram<'result'>;
  readonly errors: Counter<'source'>;
  readonly actions: Counter<'action'>;

  constructor(sources: MetricsSources, options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.reconciles = new Counter({
      name: 'brook_operator_reconciles_total',
      help: 'Reconciles of StreamDeployments, by result.',
      labelNames: ['result'],
      registers,
    });
    this.reconcileDuration = new Histogram({
      name: 'brook_operator_reconcile_duration_seconds',
      help: 'Time of one reconcile (observe, decide, write status, act), by result.',
      labelNames: ['result'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.errors = new Counter({
      name: 'brook_operator_errors_total',
      help: 'Failed reconciles, list/watch calls, lease renewals and event writes, by source.',
      labelNames: ['source'],
      registers,
    });
    this.actions = new Counter({
      name: 'brook_operator_actions_total',
      help: 'Actions carried out after their status was written, by action.',
      labelNames: ['action'],
      registers,
    });
    new Gauge({
      name: 'brook_operator_workqueue_depth',
      help: 'StreamDeployments waiting for a reconcile worker.',
      registers,
      collect() {
        this.set(sources.queueDepth());
      },
    });
    new Gauge({
      name: 'brook_operator_leader',
      help: '1 while this replica holds the leader Lease and acts, else 0.',
      registers,
      collect() {
        this.set(sources.isLeader() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'brook_operator_resources',
      help: 'StreamDeployments seen, by status.lifecycleState (UNKNOWN before the first status).',
      labelNames: ['lifecycle_state'],
      registers,
      collect() {
        const counts = new Map<string, number>([...lifecycleStates, 'UNKNOWN'].map((s) => [s, 0]));
        for (const state of sources.lifecycleStates()) {
          const key = counts.has(state) ? state : 'UNKNOWN';
          counts.set(key, counts.get(key)! + 1);
        }
        for (const [state, count] of counts) this.set({ lifecycle_state: state }, count);
      },
    });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'brook_operator_' });
  }
}
