// Observed checkpoint storage on a real directory: each checkpoint is reported
// once as started, then completed when `_metadata` is published with the
// bytes found on disk; a refused `_metadata` and a deletion are reported too.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { METADATA_VERSION, writeMetadata, type CheckpointMetadata } from './metadata.ts';
import { checkpointIdOfDirectory, observeCheckpointStorage } from './observed-storage.ts';
import { openCheckpointStorage } from './storage.ts';

const root = mkdtempSync(join(tmpdir(), 'brook-observed-'));
after(() => rmSync(root, { recursive: true, force: true }));

const metadata = (checkpointId: number, kind: 'checkpoint' | 'savepoint'): CheckpointMetadata => ({
  version: METADATA_VERSION,
  jobId: 'job',
  checkpointId,
  kind,
  timestamp: 42,
  maxParallelism: 128,
  operators: [],
});

async function* chunks(...sizes: number[]): AsyncIterable<Uint8Array> {
  for (const size of sizes) yield new Uint8Array(size);
}

function bytesUnder(directory: string): number {
  return readdirSync(directory).reduce((sum, name) => sum + statSync(join(directory, name)).size, 0);
}

test('checkpoint ids come from chk-<n> directories only', () => {
  assert.equal(checkpointIdOfDirectory('job/chk-17'), 17);
  assert.equal(checkpointIdOfDirectory('chk-3'), 3);
  assert.equal(checkpointIdOfDirectory('savepoint-abc-123'), undefined);
  assert.equal(checkpointIdOfDirectory('job/chk-17/sub'), undefined);
});

test('a checkpoint is started once, completed with every byte written, and discarded when deleted', async () => {
  const events: unknown[] = [];
  const storage = observeCheckpointStorage(await openCheckpointStorage(`file://${root}/checkpoints`), {
    started: (e) => events.push(['started', e]),
    completed: (e) => events.push(['completed', e]),
    failed: (e) => events.push(['failed', e]),
    discarded: (e) => events.push(['discarded', e]),
  });
  await storage.write('job/chk-7/operator-a-0', new Uint8Array(100));
  await storage.write('job/chk-7/keyed-a-0', chunks(10, 20, 30));
  await writeMetadata(storage, 'job/chk-7', metadata(7, 'checkpoint'));
  const location = storage.uriOf('job/chk-7');
  const onDisk = bytesUnder(fileURLToPath(location));
  assert.deepEqual(events, [
    ['started', { location, checkpointId: 7 }],
    ['completed', { location, checkpointId: 7, isSavepoint: false, triggerTimestamp: 42, stateSize: onDisk }],
  ]);

  events.length = 0;
  await assert.rejects(writeMetadata(storage, 'job/chk-7', metadata(7, 'checkpoint')), /exists already/);
  assert.deepEqual(events, [
    ['failed', { location, checkpointId: 7, message: `${storage.uriOf('job/chk-7/_metadata')} exists already` }],
  ]);

  events.length = 0;
  await storage.deleteAll('job/chk-7/');
  assert.deepEqual(events, [['discarded', { location: storage.uriOf('job/chk-7/') }]]);
  assert.deepEqual(await storage.list('job/'), []);
});

test('a savepoint directory has no id in its name: the id and kind come from its _metadata', async () => {
  const events: unknown[] = [];
  const storage = observeCheckpointStorage(await openCheckpointStorage(`file://${root}/savepoints`), {
    started: (e) => events.push(['started', e.checkpointId]),
    completed: (e) => events.push(['completed', e.checkpointId, e.isSavepoint]),
  });
  await storage.write('savepoint-abc-1/operator-a-0', new Uint8Array(5));
  await writeMetadata(storage, 'savepoint-abc-1', metadata(12, 'savepoint'));
  assert.deepEqual(events, [
    ['started', undefined],
    ['completed', 12, true],
  ]);
});

test('an observer that throws does not fail the checkpoint', async () => {
  const storage = observeCheckpointStorage(await openCheckpointStorage(`file://${root}/robust`), {
    started: () => {
      throw new Error('listener bug');
    },
    completed: () => {
      throw new Error('listener bug');
    },
  });
  await storage.write('job/chk-1/f', new Uint8Array(1));
  await writeMetadata(storage, 'job/chk-1', metadata(1, 'checkpoint'));
  assert.equal(await storage.exists('job/chk-1/_metadata'), true);
});
