// Checkpoint directories on the file system and on real S3: keyed state files
// round-trip by key group, a truncated or corrupted file or `_metadata` is
// named in the error, and restore falls back to the newest usable checkpoint.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { endpoints, temporaryBucket } from '../../scripts/testenv/index.ts';
import { snapshotOf, type KeyGroupSnapshot } from '../state/keyed-snapshot.ts';
import { keyGroupRangeForSubtask } from '../state/key-groups.ts';
import { readKeyedState, writeKeyedState } from './keyed-state-file.ts';
import {
  CheckpointCorruptError,
  METADATA_VERSION,
  readMetadata,
  writeMetadata,
  type CheckpointMetadata,
} from './metadata.ts';
import { checkpointDirectory, chooseCheckpointToRestore, listCompletedCheckpoints } from './restore-selection.ts';
import { openCheckpointStorage, type CheckpointStorage } from './storage.ts';

let bucket: Awaited<ReturnType<typeof temporaryBucket>>;
const localRoot = mkdtempSync(join(tmpdir(), 'brook-chk-'));

const backends: [string, () => Promise<CheckpointStorage>][] = [
  ['file', () => openCheckpointStorage(`file://${localRoot}/${randomUUID()}`)],
  ['s3', () => openCheckpointStorage(`s3://${bucket.name}/${randomUUID()}`, endpoints.s3)],
];

before(async () => {
  bucket = await temporaryBucket('brook-test');
});

after(async () => {
  rmSync(localRoot, { recursive: true, force: true });
  await bucket.remove();
});

/** Key-group snapshots of a counting operator: key `k<kg>` holds count kg * 10 + checkpointId. */
function snapshotsOf(range: { start: number; end: number }, checkpointId: number): KeyGroupSnapshot[] {
  const result: KeyGroupSnapshot[] = [];
  for (let keyGroup = range.start; keyGroup <= range.end; keyGroup++) {
    result.push({
      keyGroup,
      states: [
        { name: 'count', kind: 'value', ttl: false, entries: [[`k${keyGroup}`, '', keyGroup * 10 + checkpointId]] },
      ],
      eventTimers: [[1000 + keyGroup, `k${keyGroup}`, '']],
      processingTimers: [],
    });
  }
  return result;
}

async function writeCheckpoint(storage: CheckpointStorage, jobId: string, checkpointId: number): Promise<void> {
  const directory = checkpointDirectory(jobId, checkpointId);
  const keyed = [];
  for (let subtask = 0; subtask < 2; subtask++) {
    const range = keyGroupRangeForSubtask(16, 2, subtask);
    keyed.push(
      await writeKeyedState(storage, directory, 'count-per-key', subtask, snapshotOf(snapshotsOf(range, checkpointId))),
    );
  }
  const metadata: CheckpointMetadata = {
    version: METADATA_VERSION,
    jobId,
    checkpointId,
    kind: 'checkpoint',
    timestamp: Date.now(),
    maxParallelism: 16,
    operators: [{ uid: 'count-per-key', name: 'count', parallelism: 2, keyed, operatorState: [] }],
  };
  await writeMetadata(storage, directory, metadata);
}

async function readAllKeyGroups(
  storage: CheckpointStorage,
  metadata: CheckpointMetadata,
  directory: string,
  parallelism: number,
) {
  const all: KeyGroupSnapshot[] = [];
  for (let subtask = 0; subtask < parallelism; subtask++) {
    const range = keyGroupRangeForSubtask(metadata.maxParallelism, parallelism, subtask);
    all.push(...(await readKeyedState(storage, directory, metadata.operators[0]!.keyed, range)));
  }
  return all;
}

for (const [name, open] of backends) {
  describe(`checkpoint files on ${name}`, () => {
    test('key groups written by 2 subtasks are read back by 3 subtasks, each getting exactly its range', async () => {
      const storage = await open();
      await writeCheckpoint(storage, 'job-a', 1);
      const metadata = await readMetadata(storage, checkpointDirectory('job-a', 1));
      const groups = await readAllKeyGroups(storage, metadata, checkpointDirectory('job-a', 1), 3);
      assert.deepEqual(groups, snapshotsOf({ start: 0, end: 15 }, 1));
    });

    test('a checkpoint without _metadata is not complete and is never listed', async () => {
      const storage = await open();
      await writeCheckpoint(storage, 'job-b', 1);
      await writeKeyedState(
        storage,
        checkpointDirectory('job-b', 2),
        'count-per-key',
        0,
        snapshotOf(snapshotsOf({ start: 0, end: 7 }, 2)),
      );
      assert.deepEqual(await listCompletedCheckpoints(storage, 'job-b'), [1]);
    });

    test('restore falls back past a corrupted and a truncated checkpoint, naming each file and reason', async () => {
      const storage = await open();
      for (const id of [1, 2, 3, 4]) await writeCheckpoint(storage, 'job-c', id);
      // chk-4: one byte of a state file flipped; chk-3: _metadata cut short.
      const dataPath = `${checkpointDirectory('job-c', 4)}/keyed-count-per-key-1`;
      const data = await storage.read(dataPath);
      data[Math.floor(data.length / 2)]! ^= 0xff;
      await storage.write(dataPath, data);
      const metadataPath = `${checkpointDirectory('job-c', 3)}/_metadata`;
      const metadata = await storage.read(metadataPath);
      await storage.deleteAll(metadataPath);
      await storage.write(metadataPath, metadata.subarray(0, metadata.length - 40));

      const choice = await chooseCheckpointToRestore(storage, 'job-c', async (m, directory) => {
        await readAllKeyGroups(storage, m, directory, 1);
      });
      assert.ok(choice);
      assert.equal(choice.directory, 'job-c/chk-2');
      assert.deepEqual(
        choice.skipped.map((s) => s.directory),
        ['job-c/chk-4', 'job-c/chk-3'],
      );
      assert.ok(choice.skipped.every((s) => s.error instanceof CheckpointCorruptError));
      assert.match(
        choice.skipped[0]!.error.message,
        /keyed-count-per-key-1 is unusable: key group \d+ fails its checksum/,
      );
      assert.match(choice.skipped[1]!.error.message, /chk-3\/_metadata is unusable: it is not valid JSON/);
    });

    test('metadata with a wrong field is refused naming the field', async () => {
      const storage = await open();
      await storage.writeIfAbsent(
        'job-d/chk-1/_metadata',
        Buffer.from(JSON.stringify({ version: 1, jobId: 'job-d', checkpointId: -1 })),
      );
      await assert.rejects(readMetadata(storage, 'job-d/chk-1'), /job-d\/chk-1\/_metadata is unusable: checkpointId: /);
    });
  });
}
