// The keyed state backend of one operator in one subtask: it holds the state
// stores for the subtask's key-group range (on the heap, or on disk through
// lmdb-store.ts) and the current key (and namespace) that every state object reads.
import { BrookError } from '../errors.ts';
import type { AnyStateDescriptor } from './descriptors.ts';
import { keyFromId, keyId, type Key, type KeyId } from './key.ts';
import { keyGroupForKey, keyGroupRangeSize, type KeyGroupRange } from './key-groups.ts';
import {
  HeapAggregatingState,
  HeapListState,
  HeapMapState,
  HeapReducingState,
  HeapValueState,
  type CurrentKeyScope,
  type NamespaceScope,
} from './heap-states.ts';
import type { KeyGroupStateSnapshot } from './keyed-snapshot.ts';
import type { KeyedStateAccess } from './state-access.ts';
import { StateTable, VOID_NAMESPACE, type Namespace, type StateStore } from './state-table.ts';

/** Makes the store of each state; the heap backend's is a StateTable. */
export interface StateStoreFactory {
  createStore(name: string, keyGroupCount: number): StateStore<unknown>;
}

export const HEAP_STORES: StateStoreFactory = {
  createStore: (_name, keyGroupCount) => new StateTable<unknown>(keyGroupCount),
};
import { IncrementalCleanup, TtlPolicy, type PurgeResult, type TtlValue } from './ttl.ts';

export class NoCurrentKeyError extends BrookError {
  constructor() {
    super(
      'BROOK_NO_CURRENT_KEY',
      'keyed state or a timer was used where there is no current key (such as processBroadcastElement); use ctx.applyToKeyedState there to visit every key',
    );
  }
}

export class StateDescriptorConflictError extends BrookError {
  constructor(name: string, existing: string, requested: string) {
    super(
      'BROOK_STATE_DESCRIPTOR_CONFLICT',
      `state '${name}' is registered as ${existing} state and requested as ${requested} state`,
    );
  }
}

export type { KeyGroupStateSnapshot } from './keyed-snapshot.ts';

/** Every state table's content at a barrier, readable key group by key group afterwards. */
export interface BackendSnapshot {
  /** Absolute key groups holding any state. */
  keyGroups: number[];
  /** The states of `keyGroup` as at the barrier; valid until `releaseGroup`. */
  statesOf(keyGroup: number): KeyGroupStateSnapshot[];
  releaseGroup(keyGroup: number): void;
  release(): void;
}

interface RegisteredState {
  descriptor: AnyStateDescriptor;
  table: StateStore<unknown>;
  ttl: TtlPolicy | undefined;
  cleanup: IncrementalCleanup | undefined;
}

export class KeyedStateBackend implements CurrentKeyScope {
  readonly keyGroupRange: KeyGroupRange;
  readonly maxParallelism: number;
  currentGroup = 0;
  private keyIdValue: KeyId | undefined;
  private currentKeyValue: Key = '';
  private readonly registered = new Map<string, RegisteredState>();
  /** Tables restored from a snapshot whose descriptor has not been registered yet. */
  private readonly restored = new Map<
    string,
    { kind: AnyStateDescriptor['kind']; ttl: boolean; table: StateStore<unknown> }
  >();
  private readonly stateObjects = new Map<string, unknown>();
  private readonly now: () => number;
  /** The namespace that window-scoped state objects address. */
  readonly currentNamespace: { namespace: Namespace } = { namespace: VOID_NAMESPACE };
  private readonly voidNamespace: NamespaceScope = { namespace: VOID_NAMESPACE };

  private readonly stores: StateStoreFactory;

  constructor(options: {
    keyGroupRange: KeyGroupRange;
    maxParallelism: number;
    now: () => number;
    stores?: StateStoreFactory;
  }) {
    this.keyGroupRange = options.keyGroupRange;
    this.maxParallelism = options.maxParallelism;
    this.now = options.now;
    this.stores = options.stores ?? HEAP_STORES;
  }

  setCurrentKey(key: Key): void {
    const group = keyGroupForKey(key, this.maxParallelism);
    if (group < this.keyGroupRange.start || group > this.keyGroupRange.end) {
      throw new BrookError(
        'BROOK_KEY_GROUP_MISMATCH',
        `key ${String(key)} belongs to key group ${group}, outside this subtask's range ${this.keyGroupRange.start}..${this.keyGroupRange.end}; was the stream partitioned with keyBy?`,
      );
    }
    this.currentGroup = group - this.keyGroupRange.start;
    this.currentKeyValue = key;
    this.keyIdValue = keyId(key);
  }

  /** The current key's id; keyed state and timers used where there is no key fail here, never on a stale key. */
  get currentKeyId(): KeyId {
    const id = this.keyIdValue;
    if (id === undefined) throw new NoCurrentKeyError();
    return id;
  }

  /** Leaves key context (the broadcast side of a keyed broadcast operator has no key). */
  clearCurrentKey(): void {
    this.keyIdValue = undefined;
  }

  getCurrentKey(): Key {
    return this.currentKeyValue;
  }

  /** Sets the current key from a stored id and local group (timers, iteration), skipping the hash. */
  setCurrentKeyId(group: number, id: KeyId): void {
    this.currentGroup = group;
    this.keyIdValue = id;
    this.currentKeyValue = keyFromId(id);
  }

  setCurrentNamespace(namespace: Namespace): void {
    this.currentNamespace.namespace = namespace;
  }

  private register(descriptor: AnyStateDescriptor): RegisteredState {
    const existing = this.registered.get(descriptor.name);
    if (existing) {
      if (existing.descriptor.kind !== descriptor.kind) {
        throw new StateDescriptorConflictError(descriptor.name, existing.descriptor.kind, descriptor.kind);
      }
      if (existing.descriptor !== descriptor && describeTtl(existing.descriptor) !== describeTtl(descriptor)) {
        throw new BrookError(
          'BROOK_STATE_TTL_MISMATCH',
          `state '${descriptor.name}' is registered with ${describeTtl(existing.descriptor)} and requested with ${describeTtl(descriptor)}`,
        );
      }
      return existing;
    }
    const restored = this.restored.get(descriptor.name);
    if (restored && restored.kind !== descriptor.kind) {
      throw new BrookError(
        'BROOK_STATE_DESCRIPTOR_CONFLICT',
        `state '${descriptor.name}' was saved as ${restored.kind} state and is now requested as ${descriptor.kind} state`,
      );
    }
    if (restored && restored.ttl !== (descriptor.ttl !== undefined)) {
      throw new BrookError(
        'BROOK_STATE_TTL_MISMATCH',
        `state '${descriptor.name}' was saved ${restored.ttl ? 'with' : 'without'} TTL and is now requested ${restored.ttl ? 'without' : 'with'} it`,
      );
    }
    this.restored.delete(descriptor.name);
    const table = restored?.table ?? this.stores.createStore(descriptor.name, keyGroupRangeSize(this.keyGroupRange));
    const ttl = descriptor.ttl ? new TtlPolicy(descriptor.ttl, this.now) : undefined;
    const cleanup = ttl
      ? new IncrementalCleanup(table, (stored) => purgeExpired(descriptor.kind, stored, ttl))
      : undefined;
    const state: RegisteredState = { descriptor, table, ttl, cleanup };
    this.registered.set(descriptor.name, state);
    return state;
  }

  /** A state object for `descriptor`; `windowScoped` ones address the current namespace instead of VOID. */
  getPartitionedState(descriptor: AnyStateDescriptor, windowScoped = false): unknown {
    const cacheKey = `${windowScoped ? 'w' : 'k'}:${descriptor.name}`;
    const cached = this.stateObjects.get(cacheKey);
    if (cached !== undefined) {
      this.register(descriptor); // checks kind and TTL against the registered descriptor
      return cached;
    }
    const { table, ttl, cleanup } = this.register(descriptor);
    const namespaces = windowScoped ? this.currentNamespace : this.voidNamespace;
    const anyTable = table as StateStore<never>;
    let state: unknown;
    switch (descriptor.kind) {
      case 'value':
        state = new HeapValueState(this, namespaces, anyTable, ttl);
        break;
      case 'list':
        state = new HeapListState(this, namespaces, anyTable, ttl);
        break;
      case 'map':
        state = new HeapMapState(this, namespaces, anyTable, ttl);
        break;
      case 'reducing':
        state = new HeapReducingState(this, namespaces, anyTable, ttl, descriptor.reduce);
        break;
      case 'aggregating':
        state = new HeapAggregatingState(this, namespaces, anyTable, ttl, descriptor.aggregate);
        break;
    }
    if (cleanup) {
      const budget = ttl!.config.cleanupEntriesPerAccess;
      (state as { onAccess: () => void }).onAccess = () => cleanup.run(budget);
    }
    this.stateObjects.set(cacheKey, state);
    return state;
  }

  /** The getState/getListState/... view for user functions, in the VOID or the current namespace. */
  stateAccess(windowScoped = false): KeyedStateAccess {
    const get = (d: AnyStateDescriptor) => this.getPartitionedState(d, windowScoped) as never;
    return { getState: get, getListState: get, getMapState: get, getReducingState: get, getAggregatingState: get };
  }

  /** Runs `fn` with the current key set to every key that has state under `descriptor` (VOID namespace). */
  applyToAllKeys(descriptor: AnyStateDescriptor, fn: (key: Key, state: unknown) => void): void {
    const state = this.getPartitionedState(descriptor);
    const { table } = this.registered.get(descriptor.name)!;
    const saved = { group: this.currentGroup, id: this.keyIdValue, key: this.currentKeyValue };
    try {
      for (const [group, id] of [...table.keysIn(VOID_NAMESPACE)]) {
        this.setCurrentKeyId(group, id);
        fn(this.currentKeyValue, state);
      }
    } finally {
      this.currentGroup = saved.group;
      this.keyIdValue = saved.id;
      this.currentKeyValue = saved.key;
    }
  }

  /**
   * Merges the current key's state under `sources` into `target` (session windows).
   * Lists concatenate, reducing and aggregating states combine.
   */
  mergeNamespaces(descriptor: AnyStateDescriptor, target: Namespace, sources: Namespace[]): void {
    const { table, ttl } = this.register(descriptor);
    const { currentGroup: group, currentKeyId: key } = this;
    // With TTL a list keeps a clock per element (merged as they are, expired ones dropped);
    // single values carry one clock, unwrapped to merge and wrapped again.
    const elementwise = descriptor.kind === 'list' && ttl !== undefined;
    const unwrap = (stored: unknown) => {
      if (!ttl || stored === undefined) return stored;
      if (elementwise) return (stored as TtlValue<unknown>[]).filter((element) => !ttl.isExpired(element));
      return ttl.read(stored as TtlValue<unknown>);
    };
    let merged = unwrap(table.get(group, key, target));
    for (const source of sources) {
      if (source === target) continue;
      const value = unwrap(table.get(group, key, source));
      table.remove(group, key, source);
      if (value === undefined) continue;
      if (merged === undefined) merged = value;
      else if (descriptor.kind === 'list') merged = [...(merged as unknown[]), ...(value as unknown[])];
      else if (descriptor.kind === 'reducing') merged = descriptor.reduce(merged, value);
      else if (descriptor.kind === 'aggregating') merged = descriptor.aggregate.merge(merged, value);
      else
        throw new BrookError(
          'BROOK_STATE_NOT_MERGEABLE',
          `state '${descriptor.name}' (${descriptor.kind}) cannot be merged`,
        );
    }
    if (merged === undefined || (elementwise && (merged as unknown[]).length === 0)) {
      table.remove(group, key, target);
      return;
    }
    table.put(group, key, target, ttl && !elementwise ? ttl.wrap(merged) : merged);
  }

  /**
   * Captures every state table (copy-on-write, so this is cheap): the task goes
   * on changing state while the snapshot is read and written out.
   */
  snapshot(): BackendSnapshot {
    const { start } = this.keyGroupRange;
    const tables = [
      ...[...this.registered].map(([name, s]) => ({
        name,
        kind: s.descriptor.kind,
        ttl: s.ttl !== undefined,
        table: s.table,
      })),
      ...[...this.restored].map(([name, r]) => ({ name, ...r })),
    ].map(({ table, ...described }) => ({ ...described, snapshot: table.beginSnapshot() }));
    const groups = new Set<number>();
    for (const { snapshot } of tables) for (const group of snapshot.groupsWithState()) groups.add(start + group);
    return {
      keyGroups: [...groups].sort((a, b) => a - b),
      statesOf: (keyGroup) =>
        tables
          .map(({ name, kind, ttl, snapshot }) => ({ name, kind, ttl, entries: snapshot.entriesOf(keyGroup - start) }))
          .filter((s) => s.entries.length > 0),
      releaseGroup: (keyGroup) => tables.forEach((t) => t.snapshot.releaseGroup(keyGroup - start)),
      release: () => tables.forEach((t) => t.snapshot.release()),
    };
  }

  /** Loads a key group's state; the descriptors are matched by name when they register. */
  restoreKeyGroup(keyGroup: number, states: KeyGroupStateSnapshot[]): void {
    if (keyGroup < this.keyGroupRange.start || keyGroup > this.keyGroupRange.end) {
      throw new BrookError(
        'BROOK_KEY_GROUP_MISMATCH',
        `key group ${keyGroup} is outside this subtask's range ${this.keyGroupRange.start}..${this.keyGroupRange.end}`,
      );
    }
    const group = keyGroup - this.keyGroupRange.start;
    for (const { name, kind, ttl, entries } of states) {
      let target = this.registered.get(name)?.table;
      if (!target) {
        let restored = this.restored.get(name);
        if (!restored) {
          restored = { kind, ttl, table: this.stores.createStore(name, keyGroupRangeSize(this.keyGroupRange)) };
          this.restored.set(name, restored);
        }
        target = restored.table;
      }
      for (const [key, namespace, value] of entries) target.put(group, key, namespace, value);
    }
  }

  /** Entries held per state name (for tests and metrics). */
  entryCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const [name, { table }] of this.registered) counts[name] = table.size();
    return counts;
  }

  /** Removes every expired entry of every TTL state (a full cleanup, as before a snapshot). */
  cleanupAll(): void {
    for (const state of this.registered.values()) {
      if (!state.cleanup || !state.ttl) continue;
      for (const [group, key, namespace, stored] of [...state.table.entries()]) {
        if (state.table.isShared(group)) continue;
        const result = purgeExpired(state.descriptor.kind, stored, state.ttl);
        if (result === 'remove') state.table.remove(group, key, namespace);
        else if (result === 'changed') state.table.put(group, key, namespace, stored);
      }
    }
  }
}

function describeTtl(descriptor: AnyStateDescriptor): string {
  const ttl = descriptor.ttl;
  return ttl ? `TTL ${ttl.ttlMs} ms (${ttl.updateType})` : 'no TTL';
}

/** Drops the expired parts of a stored TTL entry (in place); says what is left. */
function purgeExpired(kind: AnyStateDescriptor['kind'], stored: unknown, ttl: TtlPolicy): PurgeResult {
  if (kind === 'list') {
    const list = stored as TtlValue<unknown>[];
    const before = list.length;
    let kept = 0;
    for (const element of list) if (!ttl.isExpired(element)) list[kept++] = element;
    list.length = kept;
    return kept === 0 ? 'remove' : kept === before ? 'keep' : 'changed';
  }
  if (kind === 'map') {
    const map = stored as Map<unknown, TtlValue<unknown>>;
    const before = map.size;
    for (const [key, entry] of map) if (ttl.isExpired(entry)) map.delete(key);
    return map.size === 0 ? 'remove' : map.size === before ? 'keep' : 'changed';
  }
  return ttl.isExpired(stored as TtlValue<unknown>) ? 'remove' : 'keep';
}
