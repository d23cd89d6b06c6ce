// Where part files live, behind one interface for file:// and s3://: a part is
// written while hidden, sealed (durable, still hidden) at pre-commit, and made
// visible under its final name by an idempotent commit.

/** A sealed local part: the hidden file and the name it is renamed to on commit. */
export interface LocalPartCommittable {
  kind: 'file';
  inProgress: string;
  final: string;
}

/** A sealed S3 part: a multipart upload with every part uploaded, completed on commit. */
export interface S3PartCommittable {
  kind: 's3';
  bucket: string;
  key: string;
  uploadId: string;
  parts: { ETag: string; PartNumber: number }[];
  /** Also stored as the object's metadata, so a repeated commit recognises its own object. */
  token: string;
}

export type PartCommittable = LocalPartCommittable | S3PartCommittable;

export interface OpenPart {
  /** Appends bytes (the writer batches them). */
  write(data: Buffer): Promise<void>;
  /** Makes everything written durable while still hidden; describes how to commit it. */
  seal(): Promise<PartCommittable>;
  /** Drops a part never handed over for commit (the attempt ends without it). */
  discard(): Promise<void>;
}

export interface PartStore {
  /** The URI of a bucket directory or file, for messages. */
  uriOf(path: string): string;
  /** The next part counter of `subtask` in `bucketId`, above every final or in-progress part there. */
  nextCounter(bucketId: string, prefix: string, subtask: number): Promise<number>;
  open(bucketId: string, finalName: string): Promise<OpenPart>;
  /** Drops a sealed part that was never handed over for commit. */
  abandon(committable: PartCommittable): Promise<void>;
  /** Makes a sealed part visible; a part already visible is left as it is. */
  commit(committable: PartCommittable): Promise<void>;
  close(): void;
}
