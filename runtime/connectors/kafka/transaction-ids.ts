// Transactional ids of the exactly-once sink and the committable that names a
// pre-committed transaction. Each writer instance (a "run") takes a fresh
// random run id, so no id is ever reused across restarts; within a run the
// counter n grows by one per transaction, which is what lets the aborter find
// a crashed run's transactions by probing upward from the last one a
// checkpoint recorded.
import { randomBytes } from 'node:crypto';

/** What a checkpoint stores per writer and checkpoint: the pre-committed transaction, or only the counter. */
export interface KafkaCommittable {
  /** `<prefix>-<operator uid>`. */
  base: string;
  subtask: number;
  run: string;
  /** This transaction's counter, or (no transaction) the last one the run began; -1 before any. */
  n: number;
  transaction?: { transactionalId: string; producerId: string; epoch: number };
}

export const newRunId = () => randomBytes(4).toString('hex');

export const transactionBase = (prefix: string, operatorUid: string) => `${prefix}-${operatorUid}`;

export const transactionalId = (base: string, subtask: number, run: string, n: number) =>
  `${base}-${subtask}-${run}-${n}`;

/** Per earlier run (and subtask) in `committables`, the highest counter it recorded (pure). */
export function lastRecordedCounters(
  committables: KafkaCommittable[],
  currentRun: string,
): Map<string, { base: string; subtask: number; run: string; n: number }> {
  const last = new Map<string, { base: string; subtask: number; run: string; n: number }>();
  for (const c of committables) {
    if (c.run === currentRun) continue;
    const key = `${c.base}/${c.subtask}/${c.run}`;
    const seen = last.get(key);
    if (!seen || c.n > seen.n) last.set(key, { base: c.base, subtask: c.subtask, run: c.run, n: c.n });
  }
  return last;
}
