// Broadcast state: a map every parallel instance holds identically, written
// only from the broadcast side so that all instances stay equal.
import { BrookError } from '../errors.ts';

export interface ReadOnlyBroadcastState<K, V> {
  get(key: K): V | undefined;
  contains(key: K): boolean;
  entries(): [K, V][];
}

export interface BroadcastState<K, V> extends ReadOnlyBroadcastState<K, V> {
  put(key: K, value: V): void;
  remove(key: K): void;
  clear(): void;
}

export class UndeclaredBroadcastStateError extends BrookError {
  constructor(name: string, declared: string[]) {
    super(
      'BROOK_UNDECLARED_BROADCAST_STATE',
      `broadcast state '${name}' was not declared: pass its descriptor to broadcast(...) (declared: ${declared.map((d) => `'${d}'`).join(', ') || 'none'})`,
    );
  }
}

/** The broadcast states of one operator instance, by descriptor name. */
export class BroadcastStateStore {
  private readonly maps = new Map<string, Map<unknown, unknown>>();
  /** The descriptors given to broadcast(...): only those exist (a typo would otherwise be a fresh, empty state). */
  private declared: string[] | undefined;

  declare(names: string[]): void {
    this.declared = names;
  }

  get<K, V>(name: string): BroadcastState<K, V> {
    if (this.declared && !this.declared.includes(name)) throw new UndeclaredBroadcastStateError(name, this.declared);
    let map = this.maps.get(name);
    if (!map) {
      map = new Map();
      this.maps.set(name, map);
    }
    const typed = map as Map<K, V>;
    return {
      get: (key) => typed.get(key),
      contains: (key) => typed.has(key),
      entries: () => [...typed],
      put: (key, value) => void typed.set(key, value),
      remove: (key) => void typed.delete(key),
      clear: () => typed.clear(),
    };
  }

  /** Every broadcast state as entries, for a snapshot. */
  snapshot(): Record<string, [unknown, unknown][]> {
    return Object.fromEntries([...this.maps].map(([name, map]) => [name, [...map]]));
  }

  restore(states: Record<string, [unknown, unknown][]>): void {
    for (const [name, entries] of Object.entries(states)) this.maps.set(name, new Map(entries));
  }

  readOnly<K, V>(name: string): ReadOnlyBroadcastState<K, V> {
    const state = this.get<K, V>(name);
    return { get: (key) => state.get(key), contains: (key) => state.contains(key), entries: () => state.entries() };
  }
}
