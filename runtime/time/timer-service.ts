// Keyed timers of one operator: event-time timers fire as the watermark passes
// them, processing-time timers as the clock does. A timer is unique per key,
// namespace and timestamp; registering it twice keeps one.
import type { KeyId } from '../state/key.ts';
import type { Namespace } from '../state/state-table.ts';
import { TimestampHeap } from './timestamp-heap.ts';

export interface TimerTarget {
  group: number;
  keyId: KeyId;
  namespace: Namespace;
}

/** Timers of one time domain, ordered by timestamp and deduplicated. */
export class TimerQueue {
  // timestamp -> namespace -> key id -> local key group
  private readonly byTime = new Map<number, Map<Namespace, Map<KeyId, number>>>();
  private readonly heap = new TimestampHeap();

  register(timestamp: number, group: number, keyId: KeyId, namespace: Namespace): boolean {
    let byNamespace = this.byTime.get(timestamp);
    if (byNamespace === undefined) {
      byNamespace = new Map();
      this.byTime.set(timestamp, byNamespace);
      this.heap.push(timestamp);
    }
    let keys = byNamespace.get(namespace);
    if (keys === undefined) {
      keys = new Map();
      byNamespace.set(namespace, keys);
    }
    if (keys.has(keyId)) return false;
    keys.set(keyId, group);
    return true;
  }

  delete(timestamp: number, keyId: KeyId, namespace: Namespace): void {
    const byNamespace = this.byTime.get(timestamp);
    const keys = byNamespace?.get(namespace);
    if (!keys) return;
    keys.delete(keyId);
    if (keys.size === 0) byNamespace!.delete(namespace);
    if (byNamespace!.size === 0) this.byTime.delete(timestamp); // its heap entry is skipped when popped
  }

  /** The earliest pending timestamp. */
  nextTimestamp(): number | undefined {
    for (;;) {
      const top = this.heap.peek();
      if (top === undefined || this.byTime.has(top)) return top;
      this.heap.pop();
    }
  }

  /**
   * Fires every timer with timestamp <= `upTo` in timestamp order, including
   * timers registered by `fire` itself for times already passed.
   */
  advance(upTo: number, fire: (timestamp: number, target: TimerTarget) => void): void {
    for (;;) {
      const next = this.nextTimestamp();
      if (next === undefined || next > upTo) return;
      this.heap.pop();
      const byNamespace = this.byTime.get(next)!;
      this.byTime.delete(next);
      for (const [namespace, keys] of byNamespace) {
        for (const [keyId, group] of keys) fire(next, { group, keyId, namespace });
      }
    }
  }

  /** Every pending timer as (timestamp, local key group, key id, namespace). */
  entries(): [timestamp: number, group: number, keyId: KeyId, namespace: Namespace][] {
    const result: [number, number, KeyId, Namespace][] = [];
    for (const [timestamp, byNamespace] of this.byTime) {
      for (const [namespace, keys] of byNamespace)
        for (const [keyId, group] of keys) result.push([timestamp, group, keyId, namespace]);
    }
    return result;
  }

  /** The latest pending timestamp. */
  lastTimestamp(): number | undefined {
    let last: number | undefined;
    for (const timestamp of this.byTime.keys()) if (last === undefined || timestamp > last) last = timestamp;
    return last;
  }

  get size(): number {
    let n = 0;
    for (const byNamespace of this.byTime.values()) for (const keys of byNamespace.values()) n += keys.size;
    return n;
  }
}
