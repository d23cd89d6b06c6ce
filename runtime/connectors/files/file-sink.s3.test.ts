// The file sink on testenv's S3: the same exactly-once, visibility and rolling
// claims as on a local directory, with parts as multipart uploads completed on
// commit; a repeated commit is a no-op, a commit of an aborted upload fails.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  AbortMultipartUploadCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { endpoints, temporaryBucket } from '../../../scripts/testenv/index.ts';
import { FileSinkCommitError } from './errors.ts';
import { parseFileSinkOptions } from './options.ts';
import type { S3PartCommittable } from './part-store.ts';
import { S3PartStore } from './s3-part-store.ts';
import {
  failureBeforeCommit,
  failureMidStream,
  hiddenUntilCommitted,
  restartsNeverReuseNames,
  rollingBySize,
  type Target,
} from './sink-scenarios.test-helper.ts';

const root = mkdtempSync(join(tmpdir(), 'brook-s3-sink-'));
let bucket: { name: string; remove(): Promise<void> };
let s3: S3Client;

before(async () => {
  bucket = await temporaryBucket('brook-file-sink');
  s3 = new S3Client(endpoints.s3);
});

after(async () => {
  // Open uploads are aborted so the bucket can go.
  const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket.name }));
  for (const u of uploads.Uploads ?? [])
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket.name, Key: u.Key!, UploadId: u.UploadId! }));
  await bucket.remove();
  s3.destroy();
  rmSync(root, { recursive: true, force: true });
});

const prefixOf = (path: string) => `${path.slice(`s3://${bucket.name}/`.length)}/`;

const remote: Target = {
  path: (name) => `s3://${bucket.name}/out/${name}`,
  extraOptions: { s3: endpoints.s3 },
  async committed(path) {
    const prefix = prefixOf(path);
    const files = new Map<string, string>();
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket.name, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        const body = await s3.send(new GetObjectCommand({ Bucket: bucket.name, Key: object.Key! }));
        files.set(object.Key!.slice(prefix.length), await body.Body!.transformToString());
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return files;
  },
  async hidden(path) {
    const page = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket.name, Prefix: prefixOf(path) }));
    return page.Uploads?.length ?? 0;
  },
  checkpoints: (name) => `file://${root}/checkpoints/${name}`,
};

test('a failure mid-stream leaves every line committed exactly once (S3, parallelism 2)', () =>
  failureMidStream(remote, 2));

test('a failure after a checkpoint completed but before its commits ran: the restore completes the same uploads (S3)', () =>
  failureBeforeCommit(remote));

test('nothing is visible under a final key before its checkpoint completes (S3 multipart uploads)', () =>
  hiddenUntilCommitted(remote));

test('rolling by size keeps every object under the limit (S3)', () => rollingBySize(remote));

test('a second run into the same prefix adds objects instead of replacing them (S3)', () =>
  restartsNeverReuseNames(remote));

test('completing an upload again is a no-op; completing an aborted upload fails naming the object', async () => {
  const store = new S3PartStore(
    `s3://${bucket.name}/commits`,
    parseFileSinkOptions({ path: '/x', s3: endpoints.s3 }).s3,
    'files',
  );
  try {
    const part = await store.open('b', 'part-0-0.jsonl');
    await part.write(Buffer.from('{"a":1}\n'));
    const committable = (await part.seal()) as S3PartCommittable;
    await store.commit(committable);
    await store.commit(committable);
    const body = await s3.send(new GetObjectCommand({ Bucket: bucket.name, Key: 'commits/b/part-0-0.jsonl' }));
    assert.equal(await body.Body!.transformToString(), '{"a":1}\n');
    assert.equal(await store.nextCounter('b', 'part', 0), 1);

    const other = await store.open('b', 'part-0-1.jsonl');
    await other.write(Buffer.from('{"a":2}\n'));
    const pending = (await other.seal()) as S3PartCommittable;
    assert.equal(await store.nextCounter('b', 'part', 0), 2, 'an open upload holds its name');
    await s3.send(
      new AbortMultipartUploadCommand({ Bucket: bucket.name, Key: pending.key, UploadId: pending.uploadId }),
    );
    await assert.rejects(store.commit(pending), (error: unknown) => {
      assert.ok(error instanceof FileSinkCommitError);
      assert.match(
        error.message,
        /file sink 'files': cannot commit s3:\/\/.*\/commits\/b\/part-0-1\.jsonl: multipart upload .* no longer exists/,
      );
      return true;
    });
  } finally {
    store.close();
  }
});
