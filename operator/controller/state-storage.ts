// What the operator reads and deletes in checkpoint storage itself, through
// the runtime's storage code (file:// and s3://): the newest complete
// checkpoint of a job, how a job ended (its `_job-ended` marker), and savepoint directories (their presence, their disposal).
import { openCheckpointStorage, type S3StorageOptions } from '../../runtime/checkpoint/storage.ts';
import { chooseCheckpointToRestore } from '../../runtime/checkpoint/restore-selection.ts';
import { jobEnding, type JobEnding } from '../../runtime/checkpoint/job-ending.ts';
import type { ObservedCheckpoint } from '../reconcile/observation.ts';

export class StateStorage {
  constructor(private readonly s3: S3StorageOptions = {}) {}

  /** The newest checkpoint of `jobId` under `checkpointsDir` whose `_metadata` reads back; undefined when none. */
  async latestCheckpoint(checkpointsDir: string, jobId: string): Promise<ObservedCheckpoint | undefined> {
    const storage = await openCheckpointStorage(checkpointsDir, this.s3);
    const choice = await chooseCheckpointToRestore(storage, jobId, async () => {});
    if (!choice) return undefined;
    return {
      id: choice.metadata.checkpointId,
      path: storage.uriOf(choice.directory),
      timestamp: choice.metadata.timestamp,
    };
  }

  /** How `jobId` ended, from the runtime's `_job-ended` marker under `checkpointsDir`; undefined when there is none. */
  async jobEnding(checkpointsDir: string, jobId: string): Promise<JobEnding | undefined> {
    return jobEnding(await openCheckpointStorage(checkpointsDir, this.s3), jobId);
  }

  /** Whether any file of the savepoint directory `path` is still in storage. */
  async savepointExists(path: string): Promise<boolean> {
    const { parent, prefix } = splitDirectory(path);
    const storage = await openCheckpointStorage(parent, this.s3);
    return (await storage.list(prefix)).length > 0;
  }

  /** Deletes every file of the savepoint directory `path` (nothing beside it). */
  async disposeSavepoint(path: string): Promise<void> {
    const { parent, prefix } = splitDirectory(path);
    const storage = await openCheckpointStorage(parent, this.s3);
    await storage.deleteAll(prefix);
  }
}

/**
 * A directory URI as its parent and `name/`: listing `name/` under the parent
 * cannot match a sibling whose name merely starts the same (`savepoint-1` vs `savepoint-12`).
 */
export function splitDirectory(path: string): { parent: string; prefix: string } {
  const trimmed = path.replace(/\/+$/, '');
  const slash = trimmed.lastIndexOf('/');
  return { parent: trimmed.slice(0, slash), prefix: `${trimmed.slice(slash + 1)}/` };
}
