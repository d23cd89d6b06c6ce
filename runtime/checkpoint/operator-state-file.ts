// The non-keyed part of an operator subtask's snapshot (operator lists,
// broadcast state, source splits, pending sink commits) in one small file,
// with a checksum so damage is detected on restore.
import { deserialize, serialize } from 'node:v8';
import { crc32 } from 'node:zlib';
import type { OperatorStateSnapshot } from '../operators/operator.ts';
import { StateNotSerializableError } from './keyed-state-file.ts';
import { CheckpointCorruptError, type OperatorStateHandle } from './metadata.ts';
import type { CheckpointStorage } from './storage.ts';

export async function writeOperatorState(
  storage: CheckpointStorage,
  directory: string,
  operatorUid: string,
  subtask: number,
  state: OperatorStateSnapshot,
): Promise<OperatorStateHandle> {
  let bytes: Buffer;
  try {
    bytes = serialize(state);
  } catch (error) {
    throw new StateNotSerializableError(operatorUid, undefined, error);
  }
  const file = `operator-${encodeURIComponent(operatorUid)}-${subtask}`;
  await storage.write(`${directory}/${file}`, bytes);
  return { subtask, file, offset: 0, length: bytes.length, crc32: crc32(bytes) };
}

export async function readOperatorState(
  storage: CheckpointStorage,
  directory: string,
  handle: OperatorStateHandle,
): Promise<OperatorStateSnapshot> {
  const path = `${directory}/${handle.file}`;
  const data = await storage.read(path);
  const uri = storage.uriOf(path);
  if (data.length < handle.offset + handle.length) {
    throw new CheckpointCorruptError(
      uri,
      `it has ${data.length} bytes, ${handle.offset + handle.length} expected (truncated)`,
    );
  }
  const bytes = data.subarray(handle.offset, handle.offset + handle.length);
  if (crc32(bytes) !== handle.crc32) throw new CheckpointCorruptError(uri, 'it fails its checksum (corrupted)');
  return deserialize(bytes) as OperatorStateSnapshot;
}
