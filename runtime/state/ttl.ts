// State TTL: values are stored with the time of their last write (or read),
// expired values are never returned, and a cursor walks the table on each
// access so that expired entries of keys nobody reads again still leave memory.
import type { StateTtlConfig } from './descriptors.ts';
import type { KeyId } from './key.ts';
import type { Namespace, StateStore } from './state-table.ts';

export interface TtlValue<T> {
  value: T;
  lastAccess: number;
}

export class TtlPolicy {
  readonly config: StateTtlConfig;
  private readonly now: () => number;

  constructor(config: StateTtlConfig, now: () => number) {
    this.config = config;
    this.now = now;
  }

  wrap<T>(value: T): TtlValue<T> {
    return { value, lastAccess: this.now() };
  }

  isExpired(entry: TtlValue<unknown>): boolean {
    return entry.lastAccess + this.config.ttlMs <= this.now();
  }

  /** Whether reads change stored entries (their clock), so that they must be written back. */
  get refreshesOnRead(): boolean {
    return this.config.updateType === 'on-read-and-write';
  }

  /** The value if still alive (refreshing its clock on read when configured), else undefined. */
  read<T>(entry: TtlValue<T> | undefined): T | undefined {
    if (entry === undefined || this.isExpired(entry)) return undefined;
    if (this.config.updateType === 'on-read-and-write') entry.lastAccess = this.now();
    return entry.value;
  }
}

/** What purging expired parts did to an entry: nothing, removed some of it (changed in place), or all of it. */
export type PurgeResult = 'keep' | 'changed' | 'remove';

/**
 * Walks the table `budget` entries per call, resuming where the previous call
 * stopped; `purge` drops expired parts of an entry and says what is left.
 */
export class IncrementalCleanup {
  private cursor: Generator<[number, KeyId, Namespace, unknown]> | undefined;

  constructor(
    private readonly table: StateStore<unknown>,
    private readonly purge: (stored: unknown) => PurgeResult,
  ) {}

  run(budget: number): void {
    for (let checked = 0; checked < budget; checked++) {
      this.cursor ??= this.table.entries();
      const next = this.cursor.next();
      if (next.done) {
        this.cursor = undefined;
        return;
      }
      const [group, key, namespace, stored] = next.value;
      // Purging changes the entry in place: not while a running snapshot still needs its group.
      if (this.table.isShared(group)) continue;
      const result = this.purge(stored);
      if (result === 'remove') this.table.remove(group, key, namespace);
      else if (result === 'changed') this.table.put(group, key, namespace, stored);
    }
  }
}
