// Commits pre-committed transactions when their checkpoint completes, and
// again after a restore (idempotent: EndTxn(commit) with the same producer id
// and epoch succeeds again). Transactions the broker already aborted
// (timeout, fencing) are logged as data loss, not failed, as Flink's
// KafkaCommitter does: failing would only restart into the same answer.
import type { Committer } from '../sink.ts';
import type { KafkaSinkSettings } from './config.ts';
import { TransactionCoordinatorClient } from './coordinator-client.ts';
import { describeKafkaError, KafkaTransactionError, protocolErrorIds } from './errors.ts';
import { logger, type Logger } from '../../logging/logger.ts';
import type { KafkaCommittable } from './transaction-ids.ts';

const ABORTED = new Set([
  'PRODUCER_FENCED',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_TXN_STATE',
  'INVALID_PRODUCER_ID_MAPPING',
]);

export class KafkaCommitter implements Committer<KafkaCommittable> {
  private readonly client: TransactionCoordinatorClient;
  private closed = false;
  private readonly log: Logger;

  constructor(
    private readonly settings: KafkaSinkSettings,
    context?: Logger,
  ) {
    this.client = new TransactionCoordinatorClient(settings);
    this.log = logger('kafka', context);
  }

  async commit(committables: KafkaCommittable[]): Promise<void> {
    for (const c of committables) {
      if (this.closed) return;
      await this.commitOne(c);
    }
  }

  private async commitOne(t: KafkaCommittable): Promise<void> {
    try {
      await this.client.endTransaction(t.transactionalId, BigInt(t.producerId), t.epoch, true);
    } catch (error) {
      if (this.closed) {
        // Closed mid-commit: the attempt is failing over and nobody waits for this commit any more (a rejection
        // would be unhandled and end the process). The checkpoint still holds the committable: the restored run commits it.
        this.log.info(
          { transactionalId: t.transactionalId, reason: describeKafkaError(error), err: error },
          'commit abandoned: the committer was closed; the restored run commits again',
        );
        return;
      }
      const ids = protocolErrorIds(error);
      if (!ids.some((id) => ABORTED.has(id)))
        throw new KafkaTransactionError(t.transactionalId, 'commit', error, this.settings.bootstrapServers);
      this.log.error(
        { transactionalId: t.transactionalId, reason: describeKafkaError(error), err: error },
        'transaction was aborted by the broker before it could be committed (transaction.timeout.ms exceeded, or fenced): its records are lost',
      );
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client.close();
  }
}
