// Checkpoint storage that reports checkpoints as their files are written: a
// checkpoint is under way once its first file is written and complete the
// moment its `_metadata` is published (storage.ts's contract), so watching
// the storage tells job status what happens without reaching into the
// coordinator. Used for the REST API's checkpoint statistics.
import { checkpointMetadataSchema, METADATA_FILE } from './metadata.ts';
import type { CheckpointStorage } from './storage.ts';

export interface CheckpointObserver {
  /** The first file of a checkpoint directory was written; `checkpointId` is known for `chk-<n>` directories. */
  started?(event: { location: string; checkpointId: number | undefined }): void;
  /** `_metadata` was published: the checkpoint or savepoint is complete. `stateSize` counts every byte written for it. */
  completed?(event: {
    location: string;
    checkpointId: number;
    isSavepoint: boolean;
    triggerTimestamp: number;
    stateSize: number;
  }): void;
  /** Publishing `_metadata` failed. */
  failed?(event: { location: string; checkpointId: number | undefined; message: string }): void;
  /** Everything under `location` was deleted. */
  discarded?(event: { location: string }): void;
}

/** The directory of a file path (everything before its last `/`). */
function directoryOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/** `<jobId>/chk-<n>` → n. */
export function checkpointIdOfDirectory(directory: string): number | undefined {
  const match = /(?:^|\/)chk-(\d+)$/.exec(directory);
  return match ? Number(match[1]) : undefined;
}

async function* counted(data: AsyncIterable<Uint8Array>, add: (bytes: number) => void): AsyncIterable<Uint8Array> {
  for await (const chunk of data) {
    add(chunk.byteLength);
    yield chunk;
  }
}

/**
 * Wraps `storage` so that `observer` hears of each checkpoint written to it.
 * Reads, listings and writes pass through unchanged.
 *
 * @example
 * const storage = observeCheckpointStorage(await openCheckpointStorage(uri), {
 *   completed: ({ checkpointId, location }) => console.log(`checkpoint ${checkpointId} at ${location}`),
 * })
 */
export function observeCheckpointStorage(storage: CheckpointStorage, observer: CheckpointObserver): CheckpointStorage {
  const bytesByDirectory = new Map<string, number>();
  const add = (directory: string, bytes: number) => {
    const before = bytesByDirectory.get(directory);
    bytesByDirectory.set(directory, (before ?? 0) + bytes);
    if (before === undefined) {
      observer.started?.({ location: storage.uriOf(directory), checkpointId: checkpointIdOfDirectory(directory) });
    }
  };
  // Reporting must never fail a checkpoint.
  const report = (fn: () => void) => {
    try {
      fn();
    } catch {
      // ignored: a status listener's failure is not the checkpoint's
    }
  };

  return {
    baseUri: storage.baseUri,
    uriOf: (path) => storage.uriOf(path),
    read: (path) => storage.read(path),
    exists: (path) => storage.exists(path),
    list: (prefix) => storage.list(prefix),
    async write(path, data) {
      const directory = directoryOf(path);
      if (data instanceof Uint8Array) {
        report(() => add(directory, data.byteLength));
        return storage.write(path, data);
      }
      report(() => add(directory, 0));
      return storage.write(
        path,
        counted(data, (n) => report(() => add(directory, n))),
      );
    },
    async writeIfAbsent(path, data) {
      const directory = directoryOf(path);
      const isMetadata = path.endsWith(`/${METADATA_FILE}`) || path === METADATA_FILE;
      if (!isMetadata) return storage.writeIfAbsent(path, data);
      const location = storage.uriOf(directory);
      let published: boolean;
      try {
        published = await storage.writeIfAbsent(path, data);
      } catch (error) {
        bytesByDirectory.delete(directory);
        const message = error instanceof Error ? error.message : String(error);
        report(() => observer.failed?.({ location, checkpointId: checkpointIdOfDirectory(directory), message }));
        throw error;
      }
      const stateSize = (bytesByDirectory.get(directory) ?? 0) + data.byteLength;
      bytesByDirectory.delete(directory);
      if (!published) {
        const message = `${storage.uriOf(path)} exists already`;
        report(() => observer.failed?.({ location, checkpointId: checkpointIdOfDirectory(directory), message }));
        return published;
      }
      report(() => {
        const metadata = checkpointMetadataSchema.safeParse(JSON.parse(Buffer.from(data).toString('utf8')));
        if (!metadata.success) return;
        observer.completed?.({
          location,
          checkpointId: metadata.data.checkpointId,
          isSavepoint: metadata.data.kind === 'savepoint',
          triggerTimestamp: metadata.data.timestamp,
          stateSize,
        });
      });
      return published;
    },
    async deleteAll(prefix) {
      await storage.deleteAll(prefix);
      report(() => observer.discarded?.({ location: storage.uriOf(prefix) }));
    },
  };
}
