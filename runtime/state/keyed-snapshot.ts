// What a keyed operator hands to a checkpoint: a handle on its state as it was
// at the barrier, read one key group at a time after the task has moved on
// (asynchronous snapshots). Each key group is the unit of the file format and
// of redistribution on restore.
import type { KeyId } from './key.ts';
import type { Namespace } from './state-table.ts';
import type { AnyStateDescriptor } from './descriptors.ts';

/** One state's entries in one key group, as written into a snapshot. */
export interface KeyGroupStateSnapshot {
  name: string;
  kind: AnyStateDescriptor['kind'];
  /** Values are stored with their TTL timestamps. */
  ttl: boolean;
  entries: [key: KeyId, namespace: Namespace, value: unknown][];
}

export type TimerEntry = [timestamp: number, keyId: KeyId, namespace: Namespace];

/** A keyed operator's state and timers in one key group. */
export interface KeyGroupSnapshot {
  keyGroup: number;
  states: KeyGroupStateSnapshot[];
  eventTimers: TimerEntry[];
  processingTimers: TimerEntry[];
}

export interface KeyedStateSnapshot {
  /** Absolute key groups that hold state or timers, ascending. */
  readonly keyGroups: readonly number[];
  /**
   * Hands `use` the key group as it was at the barrier; the data may point at
   * live state, so `use` must finish with it (serialise it) before returning.
   * Afterwards the group is released and the operator may change it in place.
   */
  readGroup<T>(keyGroup: number, use: (snapshot: KeyGroupSnapshot) => T): T;
  /** Releases every group not read yet (the checkpoint was aborted or is done). */
  release(): void;
}

export const EMPTY_KEYED_SNAPSHOT: KeyedStateSnapshot = {
  keyGroups: [],
  readGroup: (keyGroup) => {
    throw new RangeError(`key group ${keyGroup} is not in this snapshot`);
  },
  release: () => {},
};

/** Reads every group at once (restoring in tests, small states). */
export function materialize(snapshot: KeyedStateSnapshot): KeyGroupSnapshot[] {
  try {
    return snapshot.keyGroups.map((g) => snapshot.readGroup(g, (s) => structuredClone(s)));
  } finally {
    snapshot.release();
  }
}

/** A snapshot over data already in hand (restored or built in tests). */
export function snapshotOf(groups: KeyGroupSnapshot[]): KeyedStateSnapshot {
  const byGroup = new Map(groups.map((g) => [g.keyGroup, g]));
  return {
    keyGroups: [...byGroup.keys()].sort((a, b) => a - b),
    readGroup: (keyGroup, use) => {
      const group = byGroup.get(keyGroup);
      if (!group) throw new RangeError(`key group ${keyGroup} is not in this snapshot`);
      return use(group);
    },
    release: () => byGroup.clear(),
  };
}
