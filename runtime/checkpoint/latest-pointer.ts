// `<jobId>/_latest-checkpoint`: where a job's newest completed checkpoint is,
// rewritten after each one completes, for readers outside the job (the
// operator's last-state upgrade and its status, people). Restores do not
// trust it alone: a crash between `_metadata` and this write leaves it one
// checkpoint behind, so the runtime restores from the listing of complete
// checkpoints (restore-selection.ts), which the pointer can only agree with.
import { z } from 'zod';
import type { CheckpointStorage } from './storage.ts';

const POINTER_FILE = '_latest-checkpoint';

const pointerSchema = z.object({
  checkpointId: z.number().int().positive(),
  /** The checkpoint directory's URI. */
  location: z.string().min(1),
  /** When it completed, ms since the epoch. */
  timestamp: z.number(),
});

export type LatestCheckpointPointer = z.infer<typeof pointerSchema>;

export async function writeLatestPointer(
  storage: CheckpointStorage,
  jobId: string,
  pointer: LatestCheckpointPointer,
): Promise<void> {
  await storage.write(`${jobId}/${POINTER_FILE}`, Buffer.from(JSON.stringify(pointer)));
}

/** The pointer, or undefined when there is none or it does not read back whole. */
export async function readLatestPointer(
  storage: CheckpointStorage,
  jobId: string,
): Promise<LatestCheckpointPointer | undefined> {
  const path = `${jobId}/${POINTER_FILE}`;
  if (!(await storage.exists(path))) return undefined;
  try {
    const parsed = pointerSchema.safeParse(JSON.parse((await storage.read(path)).toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
