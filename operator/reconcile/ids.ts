// Job ids and savepoint trigger ids, derived from the resource uid and a
// counter in status rather than drawn at random: decide() stays pure, and an
// id recorded before acting is the same one sent after a restart.
import { createHash } from 'node:crypto';

function hex32(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/** A Flink-style 32-hex job id, new for every deployment so checkpoints of two runs never share a directory. */
export function jobIdFor(uid: string, deploySequence: number): string {
  return hex32(`job/${uid}/${deploySequence}`);
}

/** The trigger id of a savepoint, unique per job, purpose and attempt. */
export function triggerIdFor(jobId: string, purpose: string, attempt: number): string {
  return hex32(`trigger/${jobId}/${purpose}/${attempt}`);
}
