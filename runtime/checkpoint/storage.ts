// Checkpoint storage: where checkpoints and savepoints are written, behind one
// interface for `file://` and `s3://` URIs. Data files may appear in any order;
// a checkpoint becomes visible only when its `_metadata` is written, atomically
// and never over an existing one.
import { BrookError } from '../errors.ts';

export class CheckpointStorageError extends BrookError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BROOK_CHECKPOINT_STORAGE', message, options);
  }
}

export class CheckpointFileNotFoundError extends BrookError {
  constructor(readonly uri: string) {
    super('BROOK_CHECKPOINT_FILE_MISSING', `checkpoint file ${uri} does not exist`);
  }
}

export interface CheckpointStorage {
  /** The base URI, e.g. `s3://bucket/checkpoints` or `file:///var/brook/checkpoints`. */
  readonly baseUri: string;
  /** The full URI of a path relative to the base (for messages and pointers). */
  uriOf(path: string): string;
  /**
   * Writes a data file (overwriting). Chunks may be produced while writing,
   * so a large snapshot never needs to be in memory whole.
   */
  write(path: string, data: Uint8Array | AsyncIterable<Uint8Array>): Promise<void>;
  /** Writes `path` atomically unless it exists; returns false when it already did. For `_metadata`. */
  writeIfAbsent(path: string, data: Uint8Array): Promise<boolean>;
  /** Reads a file; throws CheckpointFileNotFoundError when absent. */
  read(path: string): Promise<Buffer>;
  exists(path: string): Promise<boolean>;
  /** Paths (relative to the base) of every file under `prefix`. */
  list(prefix: string): Promise<string[]>;
  /** Removes every file under `prefix`. */
  deleteAll(prefix: string): Promise<void>;
}

export interface S3StorageOptions {
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Files larger than this go up in parts (default 8 MiB; S3 requires at least 5 MiB per part). */
  multipartThresholdBytes?: number;
  partSizeBytes?: number;
}

/** Opens the storage for `uri`: `file:///abs/dir`, an absolute path, or `s3://bucket/prefix`. */
export async function openCheckpointStorage(uri: string, s3: S3StorageOptions = {}): Promise<CheckpointStorage> {
  if (uri.startsWith('s3://')) {
    const { S3CheckpointStorage } = await import('./s3-storage.ts');
    return new S3CheckpointStorage(uri, s3);
  }
  if (uri.startsWith('file://') || uri.startsWith('/')) {
    const { FileCheckpointStorage } = await import('./file-storage.ts');
    return new FileCheckpointStorage(uri);
  }
  throw new CheckpointStorageError(
    `checkpoint storage URI '${uri}' is not supported: use file:///absolute/path or s3://bucket/prefix`,
  );
}

/** Joins URI path segments with single slashes. */
export function joinPath(...parts: string[]): string {
  return parts
    .filter((p) => p.length > 0)
    .join('/')
    .replace(/\/{2,}/g, '/');
}
