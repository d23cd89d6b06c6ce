// A stand-in for an external transactional system (what a Kafka topic with
// transactions is to the Kafka sink), for tests of end-to-end exactly-once:
// writes go into transactions that become visible only when committed,
// commits are idempotent by transaction id, and transactions never committed
// (a crashed attempt's) stay invisible. It outlives job restarts, as the
// external system would.
import { randomUUID } from 'node:crypto';
import type { TwoPhaseCommittingSink } from '../connectors/sink.ts';

export class TransactionalLedger<T> {
  /** What readers of the external system see, in commit order. */
  readonly committed: T[] = [];
  private readonly open = new Map<string, T[]>();
  private readonly done = new Set<string>();
  commits = 0;
  /** Commit calls begun (a commit may take `commitDelayMs`, like a slow broker). */
  commitsStarted = 0;

  constructor(private readonly options: { commitDelayMs?: number } = {}) {}

  /** A sink writing into this ledger, one transaction per checkpoint per subtask. */
  sink(): TwoPhaseCommittingSink<T, string> {
    return {
      createWriter: ({ operatorUid, subtaskIndex }) => {
        let records: T[] = [];
        return {
          write: (value) => void records.push(value),
          prepareCommit: () => {
            if (records.length === 0) return [];
            // Unique across attempts, as Kafka's transactional id + epoch would be.
            const id = `${operatorUid}-${subtaskIndex}-${randomUUID()}`;
            this.open.set(id, records);
            records = [];
            return [id];
          },
        };
      },
      createCommitter: () => {
        let closed = false;
        return {
          commit: async (ids) => {
            this.commitsStarted++;
            await new Promise((resolve) => setTimeout(resolve, this.options.commitDelayMs ?? 0));
            // A commit still in flight when its attempt ended is lost, as if the process had crashed.
            if (closed) return;
            for (const id of ids) this.commit(id);
          },
          close: () => void (closed = true),
        };
      },
    };
  }

  private commit(id: string): void {
    if (this.done.has(id)) return; // repeated after a restore: already visible
    const records = this.open.get(id);
    if (!records) throw new Error(`transaction ${id} is unknown to the ledger`);
    this.open.delete(id);
    this.done.add(id);
    this.committed.push(...records);
    this.commits++;
  }

  /** Transactions pre-committed so far, committed or not. */
  get prepared(): number {
    return this.open.size + this.done.size;
  }

  /** Transactions pre-committed but never committed (a failed attempt's; Kafka would abort them). */
  get abandoned(): number {
    return this.open.size;
  }
}
