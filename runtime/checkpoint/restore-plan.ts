// Turns a checkpoint or savepoint into what each new subtask restores, at the
// new parallelism: key groups by range, split lists divided, union lists and
// broadcast state copied, source splits handed back to the enumerator, pending
// commits to one instance. State of operators the job no longer has is refused
// unless allowNonRestoredState is set.
import { BrookError } from '../errors.ts';
import { emptyOperatorState, type OperatorRestore, type OperatorStateSnapshot } from '../operators/operator.ts';
import { keyGroupRangeForSubtask } from '../state/key-groups.ts';
import { readKeyedState } from './keyed-state-file.ts';
import type { CheckpointMetadata } from './metadata.ts';
import { readOperatorState } from './operator-state-file.ts';
import type { CheckpointStorage } from './storage.ts';

export class NonRestoredStateError extends BrookError {
  constructor(uri: string, uids: string[]) {
    super(
      'BROOK_NON_RESTORED_STATE',
      `${uri} has state for operator${uids.length > 1 ? 's' : ''} ${uids.map((u) => `'${u}'`).join(', ')} that the job no longer contains; set allowNonRestoredState to drop it`,
    );
  }
}

/** The non-keyed state subtask `subtask` of `parallelism` gets from the old subtasks' states. */
export function redistributeOperatorState(
  old: OperatorStateSnapshot[],
  parallelism: number,
  subtask: number,
): OperatorStateSnapshot {
  const result = emptyOperatorState();
  const names = new Set(old.flatMap((o) => Object.keys(o.lists)));
  for (const name of names) {
    const parts = old.map((o) => o.lists[name]).filter((l) => l !== undefined);
    const mode = parts[0]!.mode;
    const all = parts.flatMap((p) => p.values);
    result.lists[name] = { mode, values: mode === 'union' ? all : all.filter((_, i) => i % parallelism === subtask) };
  }
  // Broadcast state is identical on every instance: any copy will do.
  result.broadcast = old[0]?.broadcast ?? {};
  // Commits still pending are redone once, by the first instance.
  result.committables = subtask === 0 ? old.flatMap((o) => o.committables) : [];
  return result;
}

export interface RestorePlan {
  checkpointId: number;
  /** The checkpoint or savepoint directory restored from. */
  location: string;
  /** What subtask `subtask` of operator `uid` at `parallelism` restores. */
  forSubtask(uid: string, parallelism: number, subtask: number): Promise<OperatorRestore>;
  /** Every split of the source with this uid, with its position; undefined when the checkpoint has no such source. */
  splitsOf(uid: string): unknown[] | undefined;
}

export async function planRestore(
  storage: CheckpointStorage,
  directory: string,
  metadata: CheckpointMetadata,
  job: { uids: string[]; maxParallelism: number; allowNonRestoredState: boolean },
): Promise<RestorePlan> {
  const uri = storage.uriOf(directory);
  if (metadata.maxParallelism !== job.maxParallelism) {
    throw new BrookError(
      'BROOK_MAX_PARALLELISM_CHANGED',
      `${uri} was taken with maxParallelism ${metadata.maxParallelism}, the job now has ${job.maxParallelism}; maxParallelism cannot change across a restore`,
    );
  }
  const unknown = metadata.operators.map((o) => o.uid).filter((uid) => !job.uids.includes(uid));
  const withState = await Promise.all(
    metadata.operators.map(async (o) => ({
      operator: o,
      states: await Promise.all(o.operatorState.map((h) => readOperatorState(storage, directory, h))),
    })),
  );
  const relevant = (o: (typeof withState)[number]) =>
    o.operator.keyed.length > 0 ||
    o.states.some(
      (s) =>
        Object.keys(s.lists).length > 0 ||
        Object.keys(s.broadcast).length > 0 ||
        s.splits.length > 0 ||
        s.committables.length > 0,
    );
  const lost = unknown.filter((uid) => relevant(withState.find((o) => o.operator.uid === uid)!));
  if (lost.length > 0 && !job.allowNonRestoredState) throw new NonRestoredStateError(uri, lost);
  const byUid = new Map(withState.map((o) => [o.operator.uid, o]));
  return {
    checkpointId: metadata.checkpointId,
    location: uri,
    async forSubtask(uid, parallelism, subtask) {
      const saved = byUid.get(uid);
      if (!saved) return { keyed: [], operator: emptyOperatorState() };
      const range = keyGroupRangeForSubtask(metadata.maxParallelism, parallelism, subtask);
      return {
        keyed: await readKeyedState(storage, directory, saved.operator.keyed, range),
        operator: redistributeOperatorState(saved.states, parallelism, subtask),
      };
    },
    splitsOf: (uid) => byUid.get(uid)?.states.flatMap((s) => s.splits),
  };
}
