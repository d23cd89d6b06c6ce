// Where heap keyed state lives: one map per key group of the subtask's range,
// from key to namespace to value. Keeping the key group as the outer index is
// what lets a snapshot be split by key group and restored at another parallelism.
import type { KeyId } from './key.ts';

/** The scope inside a key: a window (by its start), or VOID_NAMESPACE for plain keyed state. */
export type Namespace = number | string;
export const VOID_NAMESPACE = '';

export class StateTable<V> {
  private readonly groups: Map<KeyId, Map<Namespace, V>>[];

  constructor(keyGroupCount: number) {
    this.groups = Array.from({ length: keyGroupCount }, () => new Map<KeyId, Map<Namespace, V>>());
  }

  get(group: number, key: KeyId, namespace: Namespace): V | undefined {
    return this.groups[group]!.get(key)?.get(namespace);
  }

  put(group: number, key: KeyId, namespace: Namespace, value: V): void {
    const byKey = this.groups[group]!;
    let byNamespace = byKey.get(key);
    if (byNamespace === undefined) {
      byNamespace = new Map();
      byKey.set(key, byNamespace);
    }
    byNamespace.set(namespace, value);
  }

  remove(group: number, key: KeyId, namespace: Namespace): void {
    const byKey = this.groups[group]!;
    const byNamespace = byKey.get(key);
    if (byNamespace === undefined) return;
    byNamespace.delete(namespace);
    if (byNamespace.size === 0) byKey.delete(key);
  }

  /** Every (group, key, namespace, value); tolerates removal of the current entry while iterating. */
  *entries(): Generator<[group: number, key: KeyId, namespace: Namespace, value: V]> {
    for (let group = 0; group < this.groups.length; group++) {
      for (const [key, byNamespace] of this.groups[group]!) {
        for (const [namespace, value] of byNamespace) yield [group, key, namespace, value];
      }
    }
  }

  /** Every (key, namespace, value) of one local key group. */
  entriesOf(group: number): [key: KeyId, namespace: Namespace, value: V][] {
    const result: [KeyId, Namespace, V][] = [];
    for (const [key, byNamespace] of this.groups[group]!) {
      for (const [namespace, value] of byNamespace) result.push([key, namespace, value]);
    }
    return result;
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
