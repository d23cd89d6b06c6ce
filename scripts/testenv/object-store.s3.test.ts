// Proof that testenv's S3 server is real and has what checkpoint storage needs:
// signed requests, put/get, ListObjectsV2 with pagination, multipart upload,
// and conditional writes (If-None-Match: * refuses to overwrite).
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { endpoints, ensureServices } from './index.ts';

const bucket = `brook-test-${randomUUID()}`;
let s3: S3Client;

async function listAll(prefix: string, pageSize: number): Promise<{ keys: string[]; pages: number }> {
  const keys: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: pageSize, ContinuationToken: token }),
    );
    pages++;
    keys.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return { keys, pages };
}

before(async () => {
  await ensureServices('s3');
  s3 = new S3Client(endpoints.s3);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});

after(async () => {
  const { keys } = await listAll('', 1000);
  if (keys.length > 0) {
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })) } }));
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  s3.destroy();
});

test('an object put to S3 is read back byte for byte', async () => {
  const body = randomBytes(64 * 1024);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'single/object.bin', Body: body }));
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'single/object.bin' }));
  assert.deepEqual(Buffer.from(await got.Body!.transformToByteArray()), body);
});

test('ListObjectsV2 pages through every key under a prefix', async () => {
  const expected = Array.from({ length: 7 }, (_, i) => `listing/chk-${i}/_metadata`);
  for (const key of expected) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
  const { keys, pages } = await listAll('listing/', 3);
  assert.deepEqual(keys.sort(), [...expected].sort());
  assert.equal(pages, 3);
});

test('a multipart upload assembles its parts in order', async () => {
  const key = 'multipart/state.bin';
  const parts = [randomBytes(5 * 1024 * 1024), randomBytes(5 * 1024 * 1024), randomBytes(1024)]; // parts but the last are >= 5 MiB
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  const etags: string[] = [];
  for (const [i, part] of parts.entries()) {
    const { ETag } = await s3.send(
      new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: i + 1, Body: part }),
    );
    etags.push(ETag!);
  }
  await s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      UploadId,
      MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
    }),
  );
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const body = Buffer.from(await got.Body!.transformToByteArray());
  const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  assert.equal(
    body.length,
    parts.reduce((n, p) => n + p.length, 0),
  );
  assert.equal(digest(body), digest(Buffer.concat(parts)));
});

test('a conditional put with If-None-Match: * is refused with 412 when the key exists', async () => {
  const key = 'conditional/_metadata';
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'first', IfNoneMatch: '*' }));
  await assert.rejects(
    s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'second', IfNoneMatch: '*' })),
    (error: unknown) => error instanceof S3ServiceException && error.$metadata.httpStatusCode === 412,
  );
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  assert.equal(await got.Body!.transformToString(), 'first');
});

test('requests signed with the wrong secret are refused', async () => {
  const impostor = new S3Client({
    ...endpoints.s3,
    credentials: { accessKeyId: endpoints.s3.credentials.accessKeyId, secretAccessKey: 'wrong-secret' },
  });
  try {
    await assert.rejects(
      impostor.send(new GetObjectCommand({ Bucket: bucket, Key: 'single/object.bin' })),
      (error: unknown) => error instanceof S3ServiceException && error.$metadata.httpStatusCode === 403,
    );
  } finally {
    impostor.destroy();
  }
});
