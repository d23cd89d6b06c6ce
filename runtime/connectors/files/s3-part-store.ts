// Part files on S3 (any S3 API): each part is a multipart upload to its final
// key, invisible until CompleteMultipartUpload at commit. The upload id and the
// uploaded parts are the committable, so a commit after a restore completes
// the same upload.
import { randomUUID } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { joinPath } from '../../checkpoint/storage.ts';
import { FileSinkCommitError, FileSinkWriteError } from './errors.ts';
import type { ParsedFileSinkConfig } from './options.ts';
import { nextCounter } from './part-names.ts';
import type { OpenPart, PartCommittable, PartStore } from './part-store.ts';

const TOKEN = 'brook-part';

function notFound(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.name === 'NoSuchUpload' || error.name === 'NotFound' || error.$metadata.httpStatusCode === 404)
  );
}

export class S3PartStore implements PartStore {
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly client: S3Client;
  private readonly partSize: number;

  constructor(
    uri: string,
    options: ParsedFileSinkConfig['s3'],
    private readonly sinkName: string,
  ) {
    const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri)!;
    this.bucket = match[1]!;
    this.prefix = match[2]!.replace(/\/+$/, '');
    this.client = new S3Client({
      endpoint: options.endpoint,
      region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
      forcePathStyle: options.forcePathStyle,
      credentials: options.credentials,
    });
    this.partSize = options.partSizeBytes;
  }

  uriOf(path: string): string {
    return `s3://${this.bucket}/${joinPath(this.prefix, path)}`;
  }

  /** Scans committed objects and open multipart uploads (pending commits keep their final key). */
  async nextCounter(bucketId: string, prefix: string, subtask: number): Promise<number> {
    const Prefix = `${joinPath(this.prefix, bucketId, `${prefix}-${subtask}-`)}`;
    const names: string[] = [];
    const base = (key: string) => key.slice(key.lastIndexOf('/') + 1);
    try {
      let ContinuationToken: string | undefined;
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix, ContinuationToken }),
        );
        for (const object of page.Contents ?? []) names.push(base(object.Key!));
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken);
      let KeyMarker: string | undefined;
      let UploadIdMarker: string | undefined;
      do {
        const page = await this.client.send(
          new ListMultipartUploadsCommand({ Bucket: this.bucket, Prefix, KeyMarker, UploadIdMarker }),
        );
        for (const upload of page.Uploads ?? []) names.push(base(upload.Key!));
        [KeyMarker, UploadIdMarker] = page.IsTruncated
          ? [page.NextKeyMarker, page.NextUploadIdMarker]
          : [undefined, undefined];
      } while (KeyMarker !== undefined);
    } catch (error) {
      throw new FileSinkWriteError(this.sinkName, 'list', this.uriOf(bucketId), { cause: error });
    }
    return nextCounter(names, prefix, subtask);
  }

  async open(bucketId: string, finalName: string): Promise<OpenPart> {
    const Key = joinPath(this.prefix, bucketId, finalName);
    const uri = `s3://${this.bucket}/${Key}`;
    const fail = (action: string, error: unknown) =>
      new FileSinkWriteError(this.sinkName, action, uri, { cause: error });
    const token = randomUUID();
    const Bucket = this.bucket;
    let UploadId: string;
    try {
      const created = await this.client.send(
        new CreateMultipartUploadCommand({ Bucket, Key, Metadata: { [TOKEN]: token } }),
      );
      UploadId = created.UploadId!;
    } catch (error) {
      throw fail('start an upload to', error);
    }
    const parts: { ETag: string; PartNumber: number }[] = [];
    let buffered: Buffer[] = [];
    let bufferedBytes = 0;
    const upload = async (body: Buffer) => {
      const PartNumber = parts.length + 1;
      try {
        const { ETag } = await this.client.send(
          new UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body: body }),
        );
        parts.push({ ETag: ETag!, PartNumber });
      } catch (error) {
        throw fail(`upload part ${PartNumber} of`, error);
      }
    };
    return {
      write: async (data) => {
        buffered.push(data);
        bufferedBytes += data.byteLength;
        // Every part but the last must be at least 5 MiB: send full parts only, keep the rest for later.
        while (bufferedBytes >= this.partSize) {
          const all = Buffer.concat(buffered);
          buffered = [all.subarray(this.partSize)];
          bufferedBytes = all.byteLength - this.partSize;
          await upload(all.subarray(0, this.partSize));
        }
      },
      seal: async () => {
        if (bufferedBytes > 0 || parts.length === 0) await upload(Buffer.concat(buffered));
        buffered = [];
        bufferedBytes = 0;
        return { kind: 's3', bucket: Bucket, key: Key, uploadId: UploadId, parts: [...parts], token };
      },
      discard: async () => {
        await this.client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => {});
      },
    };
  }

  async commit(committable: PartCommittable): Promise<void> {
    if (committable.kind !== 's3') throw new FileSinkCommitError(this.sinkName, this.uriOf(''), 'not an S3 part');
    const { bucket: Bucket, key: Key, uploadId: UploadId, parts, token } = committable;
    const uri = `s3://${Bucket}/${Key}`;
    try {
      await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }),
      );
    } catch (error) {
      if (!notFound(error))
        throw new FileSinkCommitError(this.sinkName, uri, 'CompleteMultipartUpload failed', { cause: error });
      // The upload is gone: completed by an earlier commit (then the object carries our token), or lost.
      const head = await this.client.send(new HeadObjectCommand({ Bucket, Key })).catch((e: unknown) => {
        if (notFound(e)) return undefined;
        throw new FileSinkCommitError(this.sinkName, uri, 'cannot check whether it was committed before', { cause: e });
      });
      if (head?.Metadata?.[TOKEN] === token) return;
      throw new FileSinkCommitError(
        this.sinkName,
        uri,
        `multipart upload ${UploadId} no longer exists and the object is not the one it would have written ` +
          `(was the upload aborted, e.g. by a bucket lifecycle rule, before the commit?)`,
        { cause: error },
      );
    }
  }

  async abandon(committable: PartCommittable): Promise<void> {
    if (committable.kind !== 's3') return;
    const { bucket: Bucket, key: Key, uploadId: UploadId } = committable;
    await this.client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId }));
  }

  close(): void {
    this.client.destroy();
  }
}
