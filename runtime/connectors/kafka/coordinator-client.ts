// Talks to transaction coordinators directly with the protocol APIs that
// @platformatic/kafka exports: EndTxn with a stored producer id and epoch
// (committing a transaction begun by a producer that no longer exists, as
// Flink's FlinkKafkaInternalProducer.resumeTransaction allows) and
// InitProducerId (which fences a transactional id and aborts its open transaction).
import {
  ConnectionPool,
  endTxnV4,
  findCoordinatorV6,
  FindCoordinatorKeyTypes,
  initProducerIdV5,
  type Connection,
} from '@platformatic/kafka';
import type { ConnectionSettings } from './admin.ts';
import { protocolErrorIds } from './errors.ts';
import { clientSecurityOptions } from './security.ts';

/** Errors after which the same request may succeed a moment later. */
const RETRIABLE = new Set([
  'CONCURRENT_TRANSACTIONS',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
  'REQUEST_TIMED_OUT',
]);

function isRetriable(error: unknown): boolean {
  const ids = protocolErrorIds(error);
  if (ids.length === 0) return true; // network or timeout: no answer from the broker
  return ids.every((id) => RETRIABLE.has(id));
}

export class TransactionCoordinatorClient {
  private readonly pool: ConnectionPool;
  private readonly bootstrap: { host: string; port: number }[];
  private closed = false;

  constructor(private readonly settings: ConnectionSettings & { transactionTimeoutMs: number }) {
    this.pool = new ConnectionPool(`${settings.clientId}-txn`, {
      requestTimeout: settings.requestTimeoutMs,
      ...clientSecurityOptions(settings),
    });
    this.bootstrap = settings.bootstrapServers.map((b) => {
      const [host, port] = b.split(':');
      return { host: host!, port: Number(port) };
    });
  }

  async endTransaction(id: string, producerId: bigint, epoch: number, commit: boolean): Promise<void> {
    await this.withCoordinator(id, (c) => endTxnV4.api.async(c, id, producerId, epoch, commit));
  }

  /** Fences `id` (aborting an open transaction); epoch 0 means the id had never been used. */
  async initProducerId(id: string): Promise<{ producerId: bigint; epoch: number }> {
    const r = await this.withCoordinator(id, (c) =>
      initProducerIdV5.api.async(c, id, this.settings.transactionTimeoutMs, -1n, -1),
    );
    return { producerId: r.producerId, epoch: r.producerEpoch };
  }

  close(): Promise<void> {
    this.closed = true;
    return this.pool.close();
  }

  private async withCoordinator<R>(id: string, request: (connection: Connection) => Promise<R>): Promise<R> {
    for (let attempt = 1; ; attempt++) {
      try {
        const bootstrap = await this.pool.getFirstAvailable(this.bootstrap);
        const found = await findCoordinatorV6.api.async(bootstrap, FindCoordinatorKeyTypes.TRANSACTION, [id]);
        const coordinator = found.coordinators[0]!;
        return await request(await this.pool.get({ host: coordinator.host, port: coordinator.port }));
      } catch (error) {
        // Closed: every further attempt fails on the closed pool ("Connection pool is closed."), so stop now
        // instead of sleeping through the remaining attempts, which kept the process alive for up to ~40 s.
        if (this.closed || attempt >= this.settings.retries * 5 || !isRetriable(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * attempt)));
      }
    }
  }
}
