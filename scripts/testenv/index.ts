// What tests import: make sure the real services they need are running, and
// where to reach them.
import { randomUUID } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { endpoints } from './endpoints.ts';
import { up } from './environment.ts';
import type { ServiceName } from './services/index.ts';

export { endpoints, endpointEnvironment } from './endpoints.ts';
export { helm, kubectl, succeeded, type ToolResult } from './kubernetes/clients.ts';
export type { ServiceName } from './services/index.ts';

/**
 * Starts the named services through testenv unless they already answer.
 * `npm test` brings every service up first, so inside the suite this is a quick check.
 */
export async function ensureServices(...names: ServiceName[]): Promise<void> {
  await up(names);
}

/** A fresh bucket on testenv's S3 server for one test file; `remove()` empties and deletes it. */
export async function temporaryBucket(prefix: string): Promise<{ name: string; remove(): Promise<void> }> {
  await ensureServices('s3');
  const name = `${prefix}-${randomUUID()}`;
  const client = new S3Client(endpoints.s3);
  await client.send(new CreateBucketCommand({ Bucket: name }));
  return {
    name,
    async remove() {
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: name, ContinuationToken: token }));
        const objects = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
        if (objects.length > 0)
          await client.send(new DeleteObjectsCommand({ Bucket: name, Delete: { Objects: objects } }));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      await client.send(new DeleteBucketCommand({ Bucket: name }));
      client.destroy();
    },
  };
}
