// The `_metadata` file of a checkpoint or savepoint: versioned JSON that lists,
// per operator uid, the data files (by path relative to the checkpoint
// directory) and the byte range and checksum of every key group in them. A
// directory is self-contained: it can be moved and restored elsewhere.
import { z } from 'zod';
import { BrookError } from '../errors.ts';
import { CheckpointFileNotFoundError, type CheckpointStorage } from './storage.ts';

export const METADATA_FILE = '_metadata';
export const METADATA_VERSION = 1;

const byteRange = z.object({
  offset: z.number().int().nonnegative(),
  length: z.number().int().nonnegative(),
  crc32: z.number().int(),
});

const keyedStateHandle = z.object({
  subtask: z.number().int().nonnegative(),
  file: z.string().min(1),
  keyGroups: z.array(byteRange.extend({ keyGroup: z.number().int().nonnegative() })),
});

const operatorStateHandle = byteRange.extend({ subtask: z.number().int().nonnegative(), file: z.string().min(1) });

const operatorMetadata = z.object({
  uid: z.string().min(1),
  name: z.string(),
  parallelism: z.number().int().positive(),
  keyed: z.array(keyedStateHandle),
  operatorState: z.array(operatorStateHandle),
});

export const checkpointMetadataSchema = z.object({
  version: z.literal(METADATA_VERSION),
  jobId: z.string().min(1),
  checkpointId: z.number().int().nonnegative(),
  kind: z.enum(['checkpoint', 'savepoint']),
  timestamp: z.number().int(),
  maxParallelism: z.number().int().positive(),
  operators: z.array(operatorMetadata),
});

export type CheckpointMetadata = z.infer<typeof checkpointMetadataSchema>;
export type KeyedStateHandle = z.infer<typeof keyedStateHandle>;
export type OperatorStateHandle = z.infer<typeof operatorStateHandle>;
export type OperatorMetadata = z.infer<typeof operatorMetadata>;

export class CheckpointCorruptError extends BrookError {
  constructor(
    readonly uri: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super('BROOK_CHECKPOINT_CORRUPT', `checkpoint file ${uri} is unusable: ${reason}`, options);
  }
}

/** Publishes the metadata; the checkpoint is complete from this moment. Refuses to replace an existing one. */
export async function writeMetadata(
  storage: CheckpointStorage,
  directory: string,
  metadata: CheckpointMetadata,
): Promise<void> {
  const path = `${directory}/${METADATA_FILE}`;
  const published = await storage.writeIfAbsent(path, Buffer.from(JSON.stringify(metadata, null, 2)));
  if (!published) throw new BrookError('BROOK_CHECKPOINT_EXISTS', `${storage.uriOf(path)} exists already`);
}

/** Reads and validates the metadata of a checkpoint directory, naming the file and field when it is wrong. */
export async function readMetadata(storage: CheckpointStorage, directory: string): Promise<CheckpointMetadata> {
  const path = `${directory}/${METADATA_FILE}`;
  const uri = storage.uriOf(path);
  let text: string;
  try {
    text = (await storage.read(path)).toString('utf8');
  } catch (error) {
    if (error instanceof CheckpointFileNotFoundError) {
      throw new CheckpointCorruptError(uri, 'it is missing: the checkpoint never completed', { cause: error });
    }
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CheckpointCorruptError(uri, `it is not valid JSON (${(error as Error).message}); truncated?`, {
      cause: error,
    });
  }
  const parsed = checkpointMetadataSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CheckpointCorruptError(uri, `${issue.path.join('.') || 'the document'}: ${issue.message}`);
  }
  return parsed.data;
}
