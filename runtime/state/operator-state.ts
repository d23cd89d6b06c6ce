// Operator (non-keyed) state: lists held per parallel instance. On restore at
// another parallelism, even-split lists are divided among instances and union
// lists are given whole to every instance (Flink's redistribution modes).
import { BrookError } from '../errors.ts';
import type { ListState } from './state.ts';

export type OperatorListMode = 'split' | 'union';

export interface OperatorStateStore {
  getListState<T>(name: string): ListState<T>;
  getUnionListState<T>(name: string): ListState<T>;
}

export class HeapOperatorStateStore implements OperatorStateStore {
  readonly lists = new Map<string, { mode: OperatorListMode; values: unknown[] }>();

  private list<T>(name: string, mode: OperatorListMode): ListState<T> {
    let entry = this.lists.get(name);
    if (!entry) {
      entry = { mode, values: [] };
      this.lists.set(name, entry);
    } else if (entry.mode !== mode) {
      throw new BrookError(
        'BROOK_STATE_DESCRIPTOR_CONFLICT',
        `operator state '${name}' is registered as ${entry.mode} list and requested as ${mode} list`,
      );
    }
    const held = entry;
    return {
      get: () => [...(held.values as T[])],
      add: (value) => void held.values.push(value),
      addAll: (values) => void held.values.push(...values),
      update: (values) => void (held.values = [...values]),
      clear: () => void (held.values = []),
    };
  }

  getListState<T>(name: string): ListState<T> {
    return this.list<T>(name, 'split');
  }

  getUnionListState<T>(name: string): ListState<T> {
    return this.list<T>(name, 'union');
  }
}
