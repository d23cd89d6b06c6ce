// Which checkpoint to restore: the newest complete one whose metadata and state
// read back intact, falling back to older retained ones and saying why each
// newer one was skipped.
import { readMetadata, METADATA_FILE, type CheckpointMetadata } from './metadata.ts';
import type { CheckpointStorage } from './storage.ts';

export function checkpointDirectory(jobId: string, checkpointId: number): string {
  return `${jobId}/chk-${checkpointId}`;
}

/** Ids of the checkpoints of `jobId` that have a `_metadata` (complete ones), newest first. */
export async function listCompletedCheckpoints(storage: CheckpointStorage, jobId: string): Promise<number[]> {
  const ids = new Set<number>();
  for (const path of await storage.list(`${jobId}/`)) {
    const match = new RegExp(`^${jobId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/chk-(\\d+)/${METADATA_FILE}$`).exec(
      path,
    );
    if (match) ids.add(Number(match[1]));
  }
  return [...ids].sort((a, b) => b - a);
}

export interface RestoreChoice {
  directory: string;
  metadata: CheckpointMetadata;
  /** Newer checkpoints that could not be used, with the reason. */
  skipped: { directory: string; error: Error }[];
}

/**
 * The newest checkpoint for which `validate` (which reads its state) succeeds;
 * undefined when none does.
 */
export async function chooseCheckpointToRestore(
  storage: CheckpointStorage,
  jobId: string,
  validate: (metadata: CheckpointMetadata, directory: string) => Promise<void>,
  /** Older ids belong to an earlier run under the same job id (one that ended): never restored by id. */
  minCheckpointId = 0,
): Promise<RestoreChoice | undefined> {
  const skipped: RestoreChoice['skipped'] = [];
  for (const id of await listCompletedCheckpoints(storage, jobId)) {
    if (id < minCheckpointId) break;
    const directory = checkpointDirectory(jobId, id);
    try {
      const metadata = await readMetadata(storage, directory);
      await validate(metadata, directory);
      return { directory, metadata, skipped };
    } catch (error) {
      skipped.push({ directory, error: error as Error });
    }
  }
  return undefined;
}
