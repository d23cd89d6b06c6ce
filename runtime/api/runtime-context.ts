// What a rich function sees of the task it runs in: who it is, and its state.
import type { KeyedStateAccess } from '../state/state-access.ts';
import type { OperatorStateStore } from '../state/operator-state.ts';
import type { MetricGroup } from '../metrics/user-metrics.ts';
import type { Logger } from '../logging/logger.ts';

export interface RuntimeContext extends KeyedStateAccess {
  readonly jobName: string;
  readonly operatorName: string;
  readonly operatorUid: string;
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly maxParallelism: number;
  /**
   * This instance's metrics (docs/metrics.md): `metrics.counter('invalid_orders').inc()` is exported as
   * `brook_user_invalid_orders_total` with the job, operator and subtask as labels. Create them in `open`.
   */
  readonly metrics: MetricGroup;
  /**
   * This instance's logger (docs/logging.md, module `job`): its lines carry the job, task, operator and
   * subtask. `ctx.log.warn({ order }, 'order without customer; skipped')`. Not per record at info.
   */
  readonly log: Logger;
  /** Non-keyed list state of this parallel instance. */
  getOperatorStateStore(): OperatorStateStore;
}
