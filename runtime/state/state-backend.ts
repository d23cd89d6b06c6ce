// Which state backend a job uses, and how an operator subtask opens its stores.
// `heap` keeps keyed state in JavaScript maps (fastest; bounded by the heap);
// `lmdb` keeps it in an embedded on-disk database per operator subtask
// (state larger than memory; every access decodes a value).
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StateStoreFactory } from './keyed-state-backend.ts';

export type StateBackendSpec = { kind: 'heap' } | { kind: 'lmdb'; directory?: string };

export interface DisposableStateStores extends StateStoreFactory {
  /** Closes and deletes the local files: the state's durable copy is in checkpoints. */
  dispose(): Promise<void>;
}

export interface StateStoreScope {
  jobName: string;
  operatorUid: string;
  subtask: number;
}

/** Opens the stores of one keyed operator subtask; undefined means the heap. */
export type StateStoreOpener = ((scope: StateStoreScope) => DisposableStateStores) | undefined;

export async function loadStateBackend(spec: StateBackendSpec): Promise<StateStoreOpener> {
  if (spec.kind === 'heap') return undefined;
  // Loaded only when chosen, so heap-only jobs never load the native module.
  const { LmdbStateEnvironment } = await import('./lmdb-store.ts');
  const base = spec.directory ?? join(tmpdir(), 'brook-state');
  return ({ jobName, operatorUid, subtask }) => {
    // A fresh directory per attempt: a restart restores from the checkpoint, never from leftovers.
    const name = `${encodeURIComponent(operatorUid)}-${subtask}-${randomUUID().slice(0, 8)}`;
    return new LmdbStateEnvironment(join(base, encodeURIComponent(jobName), name));
  };
}
