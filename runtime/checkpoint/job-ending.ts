// Whether a job id's checkpoints may be resumed. A process started with a
// fixed job id resumes its newest checkpoint (a JobManager or `brook run`
// killed mid-run). Once the job reached a terminal state (finished, stopped
// with a savepoint, cancelled, failed for good) that no longer holds: a new
// run under the same id starts from the savepoint it is given, or empty, as
// Flink's JobManager forgets a job's HA checkpoints once it is globally done.
// Without this a savepoint upgrade that keeps the job id would restore the
// older checkpoint instead of the savepoint.
import { z } from 'zod';
import { listCompletedCheckpoints } from './restore-selection.ts';
import type { CheckpointStorage } from './storage.ts';

const ENDED_FILE = '_job-ended';

const endedSchema = z.object({
  state: z.enum(['FINISHED', 'CANCELED', 'FAILED']),
  at: z.number(),
  savepoint: z.string().optional(),
});

export type JobEnding = z.infer<typeof endedSchema>;

const endedPath = (jobId: string) => `${jobId}/${ENDED_FILE}`;

/** Records that `jobId` reached a terminal state: its checkpoints are no longer resumed by id. */
export async function markJobEnded(storage: CheckpointStorage, jobId: string, ending: JobEnding): Promise<void> {
  await storage.write(endedPath(jobId), Buffer.from(JSON.stringify(ending)));
}

/** How `jobId` ended, if it did (and no run under its id started since). */
export async function jobEnding(storage: CheckpointStorage, jobId: string): Promise<JobEnding | undefined> {
  if (!(await storage.exists(endedPath(jobId)))) return undefined;
  const parsed = endedSchema.safeParse(JSON.parse((await storage.read(endedPath(jobId))).toString('utf8')));
  // An unreadable marker still says the job ended: resuming a finished job's state would be worse.
  return parsed.success ? parsed.data : { state: 'FINISHED', at: 0 };
}

/** A new run takes over the id: its own failures resume its own checkpoints again. */
export async function clearJobEnded(storage: CheckpointStorage, jobId: string): Promise<void> {
  await storage.deleteAll(endedPath(jobId));
}

/** The id after every checkpoint already under `jobId`, so a new run's ids never collide with an ended run's. */
export async function firstFreeCheckpointId(storage: CheckpointStorage, jobId: string): Promise<number> {
  const ids = await listCompletedCheckpoints(storage, jobId);
  return (ids[0] ?? 0) + 1;
}
