// Which state a job that was taken down without a savepoint resumes from: the
// newest of its own latest checkpoint (read from storage after its pods are
// gone, so nothing newer can appear) and its own savepoints; failing both, the
// state it was itself started from. Never another job's state, never nothing
// when something exists.
import type { RestoreRecord, SavepointRecord } from '../resource/stream-deployment-status.ts';
import type { ObservedCheckpoint } from './observation.ts';

export function chooseLatestState(
  jobId: string,
  storedCheckpoint: ObservedCheckpoint | undefined,
  savepoints: readonly SavepointRecord[],
  startedFrom: RestoreRecord | undefined,
  now: number,
): RestoreRecord {
  const ownSavepoint = savepoints.filter((s) => s.jobId === jobId).sort((a, b) => b.timestamp - a.timestamp)[0];
  if (storedCheckpoint && (!ownSavepoint || storedCheckpoint.timestamp >= ownSavepoint.timestamp)) {
    return { path: storedCheckpoint.path, source: 'checkpoint', fromJobId: jobId, recordedAt: now };
  }
  if (ownSavepoint) return { path: ownSavepoint.path, source: 'savepoint', fromJobId: jobId, recordedAt: now };
  if (startedFrom?.path !== undefined) return { ...startedFrom, recordedAt: now };
  return { source: 'none', recordedAt: now };
}
