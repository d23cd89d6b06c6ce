// What a rich function sees of the task it runs in: who it is, and its state.
import type { KeyedStateAccess } from '../state/state-access.ts';
import type { OperatorStateStore } from '../state/operator-state.ts';

export interface RuntimeContext extends KeyedStateAccess {
  readonly jobName: string;
  readonly operatorName: string;
  readonly operatorUid: string;
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly maxParallelism: number;
  /** Non-keyed list state of this parallel instance. */
  getOperatorStateStore(): OperatorStateStore;
}
