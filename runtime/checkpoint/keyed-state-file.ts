// The data file of one keyed operator subtask in a checkpoint: its key-group
// snapshots serialised one after another (node:v8), indexed in `_metadata` by
// byte range and CRC-32 so a restore reads only the key groups it owns and
// detects truncated or corrupted files.
import { deserialize, serialize } from 'node:v8';
import { crc32 } from 'node:zlib';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { KeyGroupSnapshot, KeyedStateSnapshot } from '../state/keyed-snapshot.ts';
import type { KeyGroupRange } from '../state/key-groups.ts';
import { CheckpointCorruptError, type KeyedStateHandle } from './metadata.ts';
import type { CheckpointStorage } from './storage.ts';
import { BrookError } from '../errors.ts';

export class StateNotSerializableError extends BrookError {
  /** `keyGroup` is absent for operator (non-keyed) state. */
  constructor(operatorUid: string, keyGroup: number | undefined, cause: unknown) {
    const where = keyGroup === undefined ? 'operator state' : `state in key group ${keyGroup}`;
    super(
      'BROOK_STATE_NOT_SERIALIZABLE',
      `${where} of operator '${operatorUid}' cannot be snapshotted: ${(cause as Error).message} (state values must be plain data: no functions or class instances)`,
      { cause },
    );
  }
}

/** How long serialisation runs before it lets the tasks have the event loop again. */
const SLICE_MS = 4;

/**
 * Writes a subtask's key groups to `directory/file` and returns the handle
 * `_metadata` records. Runs asynchronously: key groups are serialised a few
 * milliseconds at a time between the tasks' own work, and streamed to storage.
 */
export async function writeKeyedState(
  storage: CheckpointStorage,
  directory: string,
  operatorUid: string,
  subtask: number,
  snapshot: KeyedStateSnapshot,
): Promise<KeyedStateHandle> {
  const file = `keyed-${encodeURIComponent(operatorUid)}-${subtask}`;
  const keyGroups: KeyedStateHandle['keyGroups'] = [];
  async function* serialised(): AsyncGenerator<Uint8Array> {
    let offset = 0;
    let sliceStart = performance.now();
    for (const keyGroup of snapshot.keyGroups) {
      const bytes = snapshot.readGroup(keyGroup, (data) => serializeKeyGroup(operatorUid, data));
      keyGroups.push({ keyGroup, offset, length: bytes.length, crc32: crc32(bytes) });
      offset += bytes.length;
      yield bytes;
      if (performance.now() - sliceStart > SLICE_MS) {
        await nextTurn();
        sliceStart = performance.now();
      }
    }
  }
  try {
    await storage.write(`${directory}/${file}`, serialised());
  } finally {
    snapshot.release();
  }
  return { subtask, file, keyGroups };
}

function serializeKeyGroup(operatorUid: string, data: KeyGroupSnapshot): Buffer {
  try {
    return serialize(data);
  } catch (error) {
    throw new StateNotSerializableError(operatorUid, data.keyGroup, error);
  }
}

/** Reads the key groups of `handles` that fall inside `range`, checking lengths and checksums. */
export async function readKeyedState(
  storage: CheckpointStorage,
  directory: string,
  handles: KeyedStateHandle[],
  range: KeyGroupRange,
): Promise<KeyGroupSnapshot[]> {
  const result: KeyGroupSnapshot[] = [];
  for (const handle of handles) {
    const wanted = handle.keyGroups.filter((g) => g.keyGroup >= range.start && g.keyGroup <= range.end);
    if (wanted.length === 0) continue;
    const path = `${directory}/${handle.file}`;
    const uri = storage.uriOf(path);
    const data = await storage.read(path);
    for (const { keyGroup, offset, length, crc32: expected } of wanted) {
      if (offset + length > data.length) {
        throw new CheckpointCorruptError(
          uri,
          `key group ${keyGroup} ends at byte ${offset + length} but the file has ${data.length} bytes (truncated)`,
        );
      }
      const bytes = data.subarray(offset, offset + length);
      if (crc32(bytes) !== expected)
        throw new CheckpointCorruptError(uri, `key group ${keyGroup} fails its checksum (corrupted)`);
      result.push(deserialize(bytes) as KeyGroupSnapshot);
    }
  }
  return result.sort((a, b) => a.keyGroup - b.keyGroup);
}
