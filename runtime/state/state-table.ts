// Where heap keyed state lives: one map per key group of the subtask's range,
// from key to namespace to value. Keeping the key group as the outer index is
// what lets a snapshot be split by key group and restored at another parallelism.
//
// Snapshots are copy-on-write (as Flink's CopyOnWriteStateMap): taking one only
// captures the group maps; until a group has been written out, a write copies
// the maps it changes and a read of a mutable value hands out a copy, so the
// snapshot keeps seeing the state of the barrier while processing goes on.
import type { KeyId } from './key.ts';

/** The scope inside a key: a window (by its start), or VOID_NAMESPACE for plain keyed state. */
export type Namespace = number | string;
export const VOID_NAMESPACE = '';

type Group<V> = Map<KeyId, Map<Namespace, V>>;

/**
 * Where one state's entries live, by (local key group, key, namespace): the heap
 * table below, or an on-disk store (lmdb-store.ts). State objects write back
 * every change with `put`, even after changing a value in place, so a store that
 * keeps encoded values sees every change.
 */
export interface StateStore<V> {
  get(group: number, key: KeyId, namespace: Namespace): V | undefined;
  put(group: number, key: KeyId, namespace: Namespace, value: V): void;
  remove(group: number, key: KeyId, namespace: Namespace): void;
  /** True while a running snapshot needs `group` unchanged in place (TTL cleanup waits). */
  isShared(group: number): boolean;
  beginSnapshot(): StateTableSnapshot<V>;
  /** Every (group, key, namespace, value); tolerates removal of the current entry while iterating. */
  entries(): Generator<[group: number, key: KeyId, namespace: Namespace, value: V]>;
  /** Keys that have a value in `namespace`, with their local key group. */
  keysIn(namespace: Namespace): Generator<[group: number, key: KeyId]>;
  /** Number of (key, namespace) entries held. */
  size(): number;
}

const isMutable = (value: unknown): value is object => typeof value === 'object' && value !== null;

export class StateTable<V> implements StateStore<V> {
  private readonly groups: Group<V>[];
  /**
   * While snapshots run: per group, how many of them still need it untouched;
   * and the maps and values copied since the latest began (those are the table's own).
   */
  private shared:
    { pending: number[]; ownedMaps: WeakSet<Map<unknown, unknown>>; ownedValues: WeakSet<object> } | undefined;

  constructor(keyGroupCount: number) {
    this.groups = Array.from({ length: keyGroupCount }, () => new Map<KeyId, Map<Namespace, V>>());
  }

  /**
   * The stored value, for reading or changing in place: while a snapshot still
   * needs its group, a mutable value is first replaced by a copy, so changing it
   * does not change the snapshot.
   */
  get(group: number, key: KeyId, namespace: Namespace): V | undefined {
    const value = this.groups[group]!.get(key)?.get(namespace);
    const shared = this.shared;
    if (shared === undefined || shared.pending[group] === 0 || !isMutable(value) || shared.ownedValues.has(value)) {
      return value;
    }
    const copy = structuredClone(value);
    this.put(group, key, namespace, copy);
    return copy;
  }

  put(group: number, key: KeyId, namespace: Namespace, value: V): void {
    const byKey = this.writableGroup(group);
    let byNamespace = byKey.get(key);
    if (byNamespace === undefined) {
      byNamespace = new Map();
      this.shared?.ownedMaps.add(byNamespace);
      byKey.set(key, byNamespace);
    } else {
      byNamespace = this.writableNamespaces(group, byKey, key, byNamespace);
    }
    if (this.shared && isMutable(value)) this.shared.ownedValues.add(value);
    byNamespace.set(namespace, value);
  }

  remove(group: number, key: KeyId, namespace: Namespace): void {
    const current = this.groups[group]!.get(key);
    if (current === undefined || !current.has(namespace)) return;
    const byKey = this.writableGroup(group);
    const byNamespace = this.writableNamespaces(group, byKey, key, current);
    byNamespace.delete(namespace);
    if (byNamespace.size === 0) byKey.delete(key);
  }

  /** True while a running snapshot still needs `group` as it was: in-place changes must wait or copy. */
  isShared(group: number): boolean {
    return (this.shared?.pending[group] ?? 0) > 0;
  }

  private writableGroup(group: number): Group<V> {
    const byKey = this.groups[group]!;
    const shared = this.shared;
    if (shared === undefined || shared.pending[group] === 0 || shared.ownedMaps.has(byKey)) return byKey;
    const copy: Group<V> = new Map(byKey);
    shared.ownedMaps.add(copy);
    this.groups[group] = copy;
    return copy;
  }

  private writableNamespaces(
    group: number,
    byKey: Group<V>,
    key: KeyId,
    byNamespace: Map<Namespace, V>,
  ): Map<Namespace, V> {
    const shared = this.shared;
    if (shared === undefined || shared.pending[group] === 0 || shared.ownedMaps.has(byNamespace)) return byNamespace;
    const copy = new Map(byNamespace);
    shared.ownedMaps.add(copy);
    byKey.set(key, copy);
    return copy;
  }

  /**
   * Captures every group as it is now. The table stays usable; the snapshot
   * reads each group once (`entriesOf`) and then lets it go (`releaseGroup`).
   */
  beginSnapshot(): StateTableSnapshot<V> {
    const captured: (Group<V> | undefined)[] = this.groups.map((g) => (g.size > 0 ? g : undefined));
    // Everything held now is shared with this snapshot: forget what was owned (copying too much is safe).
    const pending = captured.map((g, i) => (this.shared?.pending[i] ?? 0) + (g ? 1 : 0));
    this.shared = { pending, ownedMaps: new WeakSet(), ownedValues: new WeakSet() };
    const releaseGroup = (group: number) => {
      if (captured[group] === undefined) return;
      captured[group] = undefined;
      const shared = this.shared!;
      shared.pending[group]!--;
      if (shared.pending.every((n) => n === 0)) this.shared = undefined;
    };
    return {
      groupsWithState: () => captured.flatMap((g, i) => (g ? [i] : [])),
      entriesOf: (group) => entriesOfGroup(captured[group]),
      releaseGroup,
      release: () => captured.forEach((_, group) => releaseGroup(group)),
    };
  }

  /** Every (group, key, namespace, value) as held now; tolerates removal of the current entry while iterating. */
  *entries(): Generator<[group: number, key: KeyId, namespace: Namespace, value: V]> {
    for (let group = 0; group < this.groups.length; group++) {
      for (const [key, byNamespace] of this.groups[group]!) {
        for (const [namespace, value] of byNamespace) yield [group, key, namespace, value];
      }
    }
  }

  /** Every (key, namespace, value) of one local key group. */
  entriesOf(group: number): [key: KeyId, namespace: Namespace, value: V][] {
    return entriesOfGroup(this.groups[group]);
  }

  /** Keys that have a value in `namespace`, with their local key group. */
  *keysIn(namespace: Namespace): Generator<[group: number, key: KeyId]> {
    for (let group = 0; group < this.groups.length; group++) {
      for (const [key, byNamespace] of this.groups[group]!) if (byNamespace.has(namespace)) yield [group, key];
    }
  }

  /** Number of (key, namespace) entries held. */
  size(): number {
    let n = 0;
    for (const byKey of this.groups) for (const byNamespace of byKey.values()) n += byNamespace.size;
    return n;
  }
}

/** One table's state at a barrier, read group by group while the table keeps changing. */
export interface StateTableSnapshot<V> {
  /** Local key groups that held entries at the barrier. */
  groupsWithState(): number[];
  entriesOf(group: number): [key: KeyId, namespace: Namespace, value: V][];
  /** The snapshot is done with `group`: writes to it stop copying. */
  releaseGroup(group: number): void;
  release(): void;
}

function entriesOfGroup<V>(byKey: Group<V> | undefined): [KeyId, Namespace, V][] {
  const result: [KeyId, Namespace, V][] = [];
  if (byKey === undefined) return result;
  for (const [key, byNamespace] of byKey) {
    for (const [namespace, value] of byNamespace) result.push([key, namespace, value]);
  }
  return result;
}
