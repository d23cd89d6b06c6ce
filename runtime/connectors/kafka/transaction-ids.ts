// Transactional ids of the exactly-once sink, the committable that names a
// pre-committed transaction, and the writer state that lets a restored run
// find what a crashed one left open.
//
// Ids are `<prefix>-<operator uid>-<subtask>-<n>`, n counting the subtask's
// transactions. A writer restored from a checkpoint continues n from what the
// checkpoint recorded, so every run restored from the same checkpoint uses the
// same ids in the same order: whatever a crashed run left open sits at ids
// n+1, n+2, ... with no gaps (n grows only when a transaction begins), and the
// new run finds it by probing upward until an id that was never used (as
// Flink's TransactionAborter does with checkpoint ids).

/** A pre-committed transaction, as a checkpoint stores it until the commit. */
export interface KafkaCommittable {
  transactionalId: string;
  producerId: string;
  epoch: number;
}

/** What a checkpoint stores per exactly-once writer: the last transaction counter it used (-1: none). */
export interface KafkaWriterState {
  /** `<prefix>-<operator uid>`. */
  base: string;
  subtask: number;
  n: number;
}

export const transactionBase = (prefix: string, operatorUid: string) => `${prefix}-${operatorUid}`;

export const transactionalId = (base: string, subtask: number, n: number) => `${base}-${subtask}-${n}`;

/**
 * Where subtask `subtask` of `parallelism` probes for transactions left open
 * (pure): its own ids after the counter restored for it, and those of old
 * subtasks that no longer exist and map to it (old subtask mod parallelism),
 * after theirs. `restored` holds every old writer's state.
 */
export function probeStarts(
  restored: readonly KafkaWriterState[],
  base: string,
  subtask: number,
  parallelism: number,
): { subtask: number; from: number }[] {
  const last = new Map<number, number>();
  for (const state of restored) {
    if (state.base !== base) continue;
    last.set(state.subtask, Math.max(last.get(state.subtask) ?? -1, state.n));
  }
  const starts = [{ subtask, from: (last.get(subtask) ?? -1) + 1 }];
  for (const [old, n] of last) {
    if (old >= parallelism && old % parallelism === subtask) starts.push({ subtask: old, from: n + 1 });
  }
  return starts;
}

/** Whether a restored writer state is one this sink wrote (restored states are untyped). */
export function isWriterState(value: unknown): value is KafkaWriterState {
  const v = value as Partial<KafkaWriterState> | null;
  return typeof v?.base === 'string' && typeof v.subtask === 'number' && typeof v.n === 'number';
}
