// Commits pre-committed transactions when their checkpoint completes, and
// again after a restore (idempotent: a second EndTxn(commit) succeeds).
// Transactions the broker already aborted (timeout, fencing) are logged as
// data loss, not failed, as Flink's KafkaCommitter does: failing would only
// restart into the same answer. Also aborts the transactions a crashed run
// left open, once the restored commits are done (see abortLingering).
import type { Committer } from '../sink.ts';
import type { KafkaSinkSettings } from './config.ts';
import { TransactionCoordinatorClient } from './coordinator-client.ts';
import { describeKafkaError, KafkaTransactionError, protocolErrorIds } from './errors.ts';
import { kafkaLog } from './log.ts';
import { lastRecordedCounters, transactionalId, type KafkaCommittable } from './transaction-ids.ts';

const ABORTED = new Set([
  'PRODUCER_FENCED',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_TXN_STATE',
  'INVALID_PRODUCER_ID_MAPPING',
]);
/** A run never has this many transactions left open; the bound only stops a runaway probe. */
const MAX_PROBE = 100_000;

export class KafkaCommitter implements Committer<KafkaCommittable> {
  private readonly client: TransactionCoordinatorClient;
  private readonly restored: KafkaCommittable[] = [];
  private lingeringAborted = false;

  constructor(
    settings: KafkaSinkSettings,
    /** The run id of this subtask's writer (known once the writer exists). */
    private readonly currentRun: () => string | undefined,
  ) {
    this.client = new TransactionCoordinatorClient(settings);
  }

  async commit(committables: KafkaCommittable[]): Promise<void> {
    for (const c of committables) if (c.transaction) await this.commitOne(c.transaction);
    const run = this.currentRun();
    this.restored.push(...committables.filter((c) => c.run !== run));
    // Restored commits are redone first (in checkpoint order); once this run's own come, all restored ones are done.
    if (!this.lingeringAborted && this.restored.length > 0 && committables.some((c) => c.run === run)) {
      this.lingeringAborted = true;
      await this.abortLingering(run!);
    }
  }

  private async commitOne(t: NonNullable<KafkaCommittable['transaction']>): Promise<void> {
    try {
      await this.client.endTransaction(t.transactionalId, BigInt(t.producerId), t.epoch, true);
    } catch (error) {
      const ids = protocolErrorIds(error);
      if (!ids.some((id) => ABORTED.has(id))) throw new KafkaTransactionError(t.transactionalId, 'commit', error);
      kafkaLog.error(
        { transactionalId: t.transactionalId, err: describeKafkaError(error) },
        'transaction was aborted by the broker before it could be committed (transaction.timeout.ms exceeded, or fenced): its records are lost',
      );
    }
  }

  /**
   * Transactions of earlier runs begun after the last one the restored
   * checkpoint recorded were never part of a completed checkpoint: fence
   * them (InitProducerId aborts), probing upward until an id that was never
   * used, as Flink's TransactionAborter does.
   */
  private async abortLingering(currentRun: string): Promise<void> {
    for (const last of lastRecordedCounters(this.restored, currentRun).values()) {
      let aborted = 0;
      for (let n = last.n + 1; n <= last.n + MAX_PROBE; n++) {
        const id = transactionalId(last.base, last.subtask, last.run, n);
        const { epoch } = await this.client.initProducerId(id);
        if (epoch === 0) break;
        aborted++;
      }
      if (aborted > 0)
        kafkaLog.info(
          { run: last.run, subtask: last.subtask, aborted },
          'aborted transactions left open by an earlier run',
        );
    }
    this.restored.length = 0;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
