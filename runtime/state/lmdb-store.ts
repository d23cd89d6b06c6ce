// The embedded on-disk state backend: each operator subtask keeps its keyed
// state in an LMDB environment (memory-mapped B+tree, via the lmdb package) in
// a local directory, so state can outgrow the JavaScript heap. Entries are keyed
// [state, key group, key, namespace] so one key group is one contiguous range,
// and values are node:v8-serialised as in the snapshot files.
//
// Writes go to a small write-back cache first and reach LMDB in one
// transaction per batch: per-record transactions would cost more than the
// record. A snapshot flushes the cache and then reads through one LMDB read
// transaction, which sees the database as it was at the barrier however long
// the upload takes (LMDB's MVCC), while the task keeps writing.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { open, type Database, type RootDatabase } from 'lmdb';
import { BrookError } from '../errors.ts';
import type { DisposableStateStores } from './state-backend.ts';
import type { KeyId } from './key.ts';
import { StateTable, type Namespace, type StateStore, type StateTableSnapshot } from './state-table.ts';

/** Cached writes flushed to LMDB together once there are this many. */
const WRITE_BATCH = 2048;
const DELETED = Symbol('deleted');

type StoredKey = [name: string, group: number, keyType: number, key: string | number | boolean, namespace: Namespace];

/** bigint key ids are not LMDB key primitives: they are stored as decimal strings with their own type tag. */
function encodeKey(name: string, group: number, key: KeyId, namespace: Namespace): StoredKey {
  return typeof key === 'bigint' ? [name, group, 1, key.toString(), namespace] : [name, group, 0, key, namespace];
}

function decodeKey(stored: StoredKey): [group: number, key: KeyId, namespace: Namespace] {
  const [, group, keyType, key, namespace] = stored;
  return [group, keyType === 1 ? BigInt(key) : key, namespace];
}

export class StateBackendError extends BrookError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BROOK_STATE_BACKEND', message, options);
  }
}

/** One operator subtask's LMDB environment; every state of the subtask is a key range in it. */
export class LmdbStateEnvironment implements DisposableStateStores {
  private readonly root: RootDatabase;
  private readonly stores: LmdbStateStore<unknown>[] = [];

  constructor(readonly directory: string) {
    try {
      mkdirSync(directory, { recursive: true });
      // No fsync: the local database is scratch space; durability comes from checkpoints.
      this.root = open({ path: join(directory, 'state.mdb'), encoding: 'binary', noSync: true, noMemInit: true });
    } catch (error) {
      throw new StateBackendError(`cannot open the lmdb state directory ${directory}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  createStore(name: string, keyGroupCount: number): StateStore<unknown> {
    const store = new LmdbStateStore<unknown>(this.root, name, keyGroupCount);
    this.stores.push(store);
    return store;
  }

  /** Closes the environment and deletes its files (state lives on in checkpoints, not here). */
  async dispose(): Promise<void> {
    await this.root.close();
    rmSync(this.directory, { recursive: true, force: true });
  }
}

class LmdbStateStore<V> implements StateStore<V> {
  /** Changes not in LMDB yet; reads look here first so in-place changes stay visible. */
  private pending: StateTable<V | typeof DELETED>;
  private pendingCount = 0;

  constructor(
    private readonly db: Database,
    private readonly name: string,
    private readonly keyGroupCount: number,
  ) {
    this.pending = new StateTable(keyGroupCount);
  }

  get(group: number, key: KeyId, namespace: Namespace): V | undefined {
    const cached = this.pending.get(group, key, namespace);
    if (cached === DELETED) return undefined;
    if (cached !== undefined) return cached;
    const bytes = this.db.getBinary(encodeKey(this.name, group, key, namespace));
    return bytes === undefined ? undefined : (deserialize(bytes) as V);
  }

  put(group: number, key: KeyId, namespace: Namespace, value: V): void {
    this.pending.put(group, key, namespace, value);
    if (++this.pendingCount >= WRITE_BATCH) this.flush();
  }

  remove(group: number, key: KeyId, namespace: Namespace): void {
    this.pending.put(group, key, namespace, DELETED);
    if (++this.pendingCount >= WRITE_BATCH) this.flush();
  }

  /** Writes every cached change in one transaction. */
  flush(): void {
    if (this.pendingCount === 0) return;
    const changes = [...this.pending.entries()];
    this.pending = new StateTable<V | typeof DELETED>(this.keyGroupCount);
    this.pendingCount = 0;
    this.db.transactionSync(() => {
      for (const [group, key, namespace, value] of changes) {
        const stored = encodeKey(this.name, group, key, namespace);
        if (value === DELETED) void this.db.remove(stored);
        else void this.db.put(stored, serialize(value));
      }
    });
  }

  /** LMDB's read transaction keeps the snapshot's view; nothing in memory is shared with it. */
  isShared(): boolean {
    return false;
  }

  beginSnapshot(): StateTableSnapshot<V> {
    this.flush();
    const transaction = this.db.useReadTransaction();
    let done = false;
    const range = (group: number) => ({
      start: [this.name, group],
      end: [this.name, group + 1],
      transaction,
    });
    const groups: number[] = [];
    for (let group = 0; group < this.keyGroupCount; group++) {
      for (const _ of this.db.getKeys({ ...range(group), limit: 1 })) groups.push(group);
    }
    return {
      groupsWithState: () => groups,
      entriesOf: (group) => {
        const entries: [KeyId, Namespace, V][] = [];
        for (const { key, value } of this.db.getRange(range(group))) {
          const [, id, namespace] = decodeKey(key as StoredKey);
          entries.push([id, namespace, deserialize(value as Buffer) as V]);
        }
        return entries;
      },
      releaseGroup: () => {},
      release: () => {
        if (done) return;
        done = true;
        transaction.done();
      },
    };
  }

  *entries(): Generator<[group: number, key: KeyId, namespace: Namespace, value: V]> {
    this.flush();
    // No snapshot: a long walk (TTL cleanup) must not pin old pages, and it tolerates concurrent changes.
    for (const { key, value } of this.db.getRange({
      start: [this.name, 0],
      end: [this.name, this.keyGroupCount],
      snapshot: false,
    })) {
      const [group, id, namespace] = decodeKey(key as StoredKey);
      const cached = this.pending.get(group, id, namespace);
      if (cached === DELETED) continue;
      yield [group, id, namespace, cached ?? (deserialize(value as Buffer) as V)];
    }
  }

  *keysIn(namespace: Namespace): Generator<[group: number, key: KeyId]> {
    this.flush();
    const keys = [...this.db.getKeys({ start: [this.name, 0], end: [this.name, this.keyGroupCount] })];
    for (const stored of keys) {
      const [group, id, ns] = decodeKey(stored as StoredKey);
      if (ns === namespace) yield [group, id];
    }
  }

  size(): number {
    this.flush();
    return this.db.getKeysCount({ start: [this.name, 0], end: [this.name, this.keyGroupCount] });
  }
}
