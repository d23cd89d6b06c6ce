// State TTL: values are stored with the time of their last write (or read),
// expired values are never returned, and a cursor walks the table on each
// access so that expired entries of keys nobody reads again still leave memory.
import type { StateTtlConfig } from './descriptors.ts';
import type { KeyId } from './key.ts';
import type { Namespace, StateTable } from './state-table.ts';

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

  /** The value if still alive (refreshing its clock on read when configured), else undefined. */
  read<T>(entry: TtlValue<T> | undefined): T | undefined {
    if (entry === undefined || this.isExpired(entry)) return undefined;
    if (this.config.updateType === 'on-read-and-write') entry.lastAccess = this.now();
    return entry.value;
  }
}

/**
 * Walks the table `budget` entries per call, resuming where the previous call
 * stopped; `purge` drops expired parts of an entry and says whether anything is left.
 */
export class IncrementalCleanup {
  private cursor: Generator<[number, KeyId, Namespace, unknown]> | undefined;

  constructor(
    private readonly table: StateTable<unknown>,
    private readonly purge: (stored: unknown) => 'keep' | 'remove',
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
      if (this.purge(stored) === 'remove') this.table.remove(group, key, namespace);
    }
  }
}
