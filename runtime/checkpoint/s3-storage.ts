// Checkpoint storage on any S3 API (AWS, MinIO, SeaweedFS): configuration or
// the standard AWS environment variables give endpoint, region and credentials.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import {
  CheckpointFileNotFoundError,
  CheckpointStorageError,
  joinPath,
  type CheckpointStorage,
  type S3StorageOptions,
} from './storage.ts';

const MiB = 1024 * 1024;

function status(error: unknown): number | undefined {
  return error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
}

export class S3CheckpointStorage implements CheckpointStorage {
  readonly baseUri: string;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly client: S3Client;
  private readonly threshold: number;
  private readonly partSize: number;

  constructor(uri: string, options: S3StorageOptions) {
    const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
    if (!match) throw new CheckpointStorageError(`'${uri}' is not an s3://bucket/prefix URI`);
    this.bucket = match[1]!;
    this.prefix = match[2]!.replace(/\/+$/, '');
    this.baseUri = `s3://${this.bucket}${this.prefix ? `/${this.prefix}` : ''}`;
    this.client = new S3Client({
      endpoint: options.endpoint,
      region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
      forcePathStyle: options.forcePathStyle,
      credentials: options.credentials,
    });
    this.threshold = options.multipartThresholdBytes ?? 8 * MiB;
    this.partSize = Math.max(5 * MiB, options.partSizeBytes ?? 8 * MiB);
  }

  private key(path: string): string {
    return joinPath(this.prefix, path);
  }

  uriOf(path: string): string {
    return `s3://${this.bucket}/${this.key(path)}`;
  }

  private fail(action: string, path: string, error: unknown): never {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CheckpointStorageError(`cannot ${action} ${this.uriOf(path)}: ${reason}`, { cause: error });
  }

  async write(path: string, data: Uint8Array | AsyncIterable<Uint8Array>): Promise<void> {
    try {
      const chunks = data instanceof Uint8Array ? [data] : data;
      await this.writeChunks(path, chunks);
    } catch (error) {
      if (error instanceof CheckpointStorageError) throw error;
      this.fail('write', path, error);
    }
  }

  /** One PUT when everything fits under the threshold; else a multipart upload sent part by part as data comes. */
  private async writeChunks(path: string, chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<void> {
    const Key = this.key(path);
    let buffered: Uint8Array[] = [];
    let bufferedBytes = 0;
    let upload: { id: string; parts: { ETag: string; PartNumber: number }[] } | undefined;
    const sendPart = async (body: Uint8Array) => {
      upload ??= {
        id: (await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key }))).UploadId!,
        parts: [],
      };
      const PartNumber = upload.parts.length + 1;
      const { ETag } = await this.client.send(
        new UploadPartCommand({ Bucket: this.bucket, Key, UploadId: upload.id, PartNumber, Body: body }),
      );
      upload.parts.push({ ETag: ETag!, PartNumber });
    };
    try {
      for await (const chunk of chunks) {
        buffered.push(chunk);
        bufferedBytes += chunk.byteLength;
        // Parts go up once the file is known to exceed the threshold, each at least partSize (S3's minimum is 5 MiB).
        while (bufferedBytes >= this.partSize && (upload || bufferedBytes > this.threshold)) {
          const all = Buffer.concat(buffered);
          await sendPart(all.subarray(0, this.partSize));
          const rest = all.subarray(this.partSize);
          buffered = rest.byteLength > 0 ? [rest] : [];
          bufferedBytes = rest.byteLength;
        }
      }
      const last = Buffer.concat(buffered);
      if (!upload) {
        await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: last }));
        return;
      }
      if (last.byteLength > 0) await sendPart(last);
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key,
          UploadId: upload.id,
          MultipartUpload: { Parts: upload.parts },
        }),
      );
    } catch (error) {
      if (upload) {
        const UploadId = upload.id;
        await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId })).catch(() => {});
      }
      this.fail('write', path, error);
    }
  }

  async writeIfAbsent(path: string, data: Uint8Array): Promise<boolean> {
    try {
      // One PUT is atomic on S3; If-None-Match makes it refuse to replace an existing object.
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: this.key(path), Body: data, IfNoneMatch: '*' }),
      );
      return true;
    } catch (error) {
      if (status(error) === 412 || status(error) === 409) return false;
      this.fail('write', path, error);
    }
  }

  async read(path: string): Promise<Buffer> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(path) }));
      return Buffer.from(await object.Body!.transformToByteArray());
    } catch (error) {
      if (status(error) === 404) throw new CheckpointFileNotFoundError(this.uriOf(path));
      this.fail('read', path, error);
    }
  }

  async exists(path: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(path) }));
      return true;
    } catch (error) {
      if (status(error) === 404) return false;
      this.fail('check', path, error);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const base = this.prefix ? `${this.prefix}/` : '';
    const keys: string[] = [];
    let ContinuationToken: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: joinPath(this.prefix, prefix), ContinuationToken }),
        );
        for (const object of page.Contents ?? []) keys.push(object.Key!.slice(base.length));
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken);
    } catch (error) {
      this.fail('list', prefix, error);
    }
    return keys.sort();
  }

  async deleteAll(prefix: string): Promise<void> {
    const paths = await this.list(prefix);
    try {
      for (let i = 0; i < paths.length; i += 1000) {
        const Objects = paths.slice(i, i + 1000).map((p) => ({ Key: this.key(p) }));
        await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects } }));
      }
    } catch (error) {
      this.fail('delete', prefix, error);
    }
  }
}
