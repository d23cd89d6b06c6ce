// The checkpoint storage contract, run against the local file system and a
// real S3 server (testenv's): files round-trip, large files go up in parts,
// `_metadata` is published once and never replaced, missing files are named.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { endpoints, temporaryBucket } from '../../scripts/testenv/index.ts';
import { CheckpointFileNotFoundError, openCheckpointStorage, type CheckpointStorage } from './storage.ts';

let bucket: Awaited<ReturnType<typeof temporaryBucket>>;
const localRoot = mkdtempSync(join(tmpdir(), 'brook-storage-'));

const backends: [name: string, open: () => Promise<CheckpointStorage>][] = [
  ['file', () => openCheckpointStorage(`file://${localRoot}/${randomUUID()}`)],
  [
    's3',
    () =>
      openCheckpointStorage(`s3://${bucket.name}/jobs/${randomUUID()}`, {
        ...endpoints.s3,
        multipartThresholdBytes: 6 * 1024 * 1024,
        partSizeBytes: 5 * 1024 * 1024,
      }),
  ],
];

before(async () => {
  bucket = await temporaryBucket('brook-test');
});

after(async () => {
  rmSync(localRoot, { recursive: true, force: true });
  await bucket.remove();
});

for (const [name, open] of backends) {
  describe(`${name} checkpoint storage`, () => {
    test('files written under a checkpoint directory are read back and listed by relative path', async () => {
      const storage = await open();
      await storage.write('job-1/chk-1/op-a-0', Buffer.from('state a'));
      await storage.write('job-1/chk-1/op-b-0', Buffer.from('state b'));
      await storage.write('job-1/chk-10/op-a-0', Buffer.from('other'));
      assert.equal((await storage.read('job-1/chk-1/op-a-0')).toString(), 'state a');
      assert.deepEqual(await storage.list('job-1/chk-1/'), ['job-1/chk-1/op-a-0', 'job-1/chk-1/op-b-0']);
      assert.equal(await storage.exists('job-1/chk-1/op-b-0'), true);
      assert.equal(await storage.exists('job-1/chk-2/op-b-0'), false);
      assert.match(storage.uriOf('job-1/chk-1/_metadata'), new RegExp(`^${name}://.*job-1/chk-1/_metadata$`));
    });

    test('a large state file (over the multipart threshold) round-trips byte for byte', async () => {
      const storage = await open();
      const data = randomBytes(11 * 1024 * 1024 + 123);
      await storage.write('job/chk-3/big', data);
      assert.ok((await storage.read('job/chk-3/big')).equals(data));
    });

    test('a file streamed in uneven chunks while it is produced round-trips, small or over the multipart threshold', async () => {
      const storage = await open();
      for (const size of [300_000, 13 * 1024 * 1024 + 17]) {
        const data = randomBytes(size);
        async function* chunks() {
          for (let offset = 0, n = 1; offset < data.length; offset += 70_001 * n, n = (n % 7) + 1) {
            await new Promise((resolve) => setImmediate(resolve));
            yield data.subarray(offset, offset + 70_001 * n);
          }
        }
        await storage.write(`chk-1/streamed-${size}`, chunks());
        assert.ok((await storage.read(`chk-1/streamed-${size}`)).equals(data), `${size} bytes`);
      }
    });

    test('_metadata is published once: a second writer does not replace it', async () => {
      const storage = await open();
      assert.equal(await storage.writeIfAbsent('job/chk-4/_metadata', Buffer.from('first')), true);
      assert.equal(await storage.writeIfAbsent('job/chk-4/_metadata', Buffer.from('second')), false);
      assert.equal((await storage.read('job/chk-4/_metadata')).toString(), 'first');
      assert.deepEqual(await storage.list('job/chk-4/'), ['job/chk-4/_metadata'], 'no temporary files remain visible');
    });

    test('reading a missing file fails with an error naming its full URI', async () => {
      const storage = await open();
      await assert.rejects(storage.read('job/chk-9/_metadata'), (error: unknown) => {
        assert.ok(error instanceof CheckpointFileNotFoundError);
        assert.equal(error.code, 'BROOK_CHECKPOINT_FILE_MISSING');
        assert.ok(error.message.includes(storage.uriOf('job/chk-9/_metadata')));
        return true;
      });
    });

    test('deleteAll removes a checkpoint directory and nothing beside it', async () => {
      const storage = await open();
      await storage.write('job/chk-5/a', Buffer.from('a'));
      await storage.write('job/chk-6/a', Buffer.from('a'));
      await storage.deleteAll('job/chk-5/');
      assert.deepEqual(await storage.list('job/'), ['job/chk-6/a']);
    });
  });
}

test('an unsupported storage URI is refused with the forms that work', async () => {
  await assert.rejects(
    openCheckpointStorage('hdfs://nn/checkpoints'),
    /use file:\/\/\/absolute\/path or s3:\/\/bucket\/prefix/,
  );
});
