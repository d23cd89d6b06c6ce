// Sink writers. At-least-once: one producer, batches in flight, all of them
// acknowledged at the barrier. Exactly-once: one Kafka transaction per
// checkpoint, begun with the first record after a barrier on a producer of its
// own (a transactional id is fixed per producer), flushed and described on
// the barrier, and left open for the committer. Before it writes, a restored
// exactly-once writer aborts what a crashed run left open (transaction-ids.ts).
import { Producer, type MessageToProduce } from '@platformatic/kafka';
import type { CommittingSinkWriter, SinkContext, SinkInitContext, SinkWriter, StatefulSinkWriter } from '../sink.ts';
import { clientOptions } from './admin.ts';
import type { KafkaSinkSettings } from './config.ts';
import { KafkaOperationError, KafkaTransactionError } from './errors.ts';
import { recordMapper, type RecordMapper } from './record-mapper.ts';
import { TransactionCoordinatorClient } from './coordinator-client.ts';
import { logger } from '../../logging/logger.ts';
import {
  isWriterState,
  probeStarts,
  transactionalId,
  type KafkaCommittable,
  type KafkaWriterState,
} from './transaction-ids.ts';

/** A run never leaves this many transactions open; the bound only stops a runaway probe. */
const MAX_PROBE = 100_000;

/** Batches records and keeps at most `maxInFlightBatches` sends open; the first failure fails the writer. */
abstract class BatchingWriter<T> {
  protected buffer: MessageToProduce[] = [];
  protected readonly inFlight = new Set<Promise<void>>();
  protected failure: Error | undefined;
  private readonly toRecord: RecordMapper<T>;

  constructor(protected readonly settings: KafkaSinkSettings) {
    this.toRecord = recordMapper<T>(settings);
  }

  write(value: T, context: SinkContext): void | Promise<void> {
    if (this.failure) throw this.failure;
    this.buffer.push(this.toRecord(value, context));
    if (this.buffer.length < this.settings.batchSize) return undefined;
    this.sendBuffer();
    // Backpressure: the task waits for a send before it reads on.
    if (this.inFlight.size >= this.settings.maxInFlightBatches) return Promise.race(this.inFlight);
    return undefined;
  }

  async flush(): Promise<void> {
    if (this.buffer.length > 0) this.sendBuffer();
    await Promise.all(this.inFlight);
    if (this.failure) throw this.failure;
  }

  protected abstract send(messages: MessageToProduce[]): Promise<void>;

  private sendBuffer(): void {
    const messages = this.buffer;
    this.buffer = [];
    const sent: Promise<void> = this.send(messages)
      .catch((error: unknown) => {
        this.failure ??=
          error instanceof KafkaTransactionError
            ? error
            : new KafkaOperationError('producing', error, this.settings.bootstrapServers);
      })
      .finally(() => this.inFlight.delete(sent));
    this.inFlight.add(sent);
  }
}

export class AtLeastOnceKafkaWriter<T> extends BatchingWriter<T> implements SinkWriter<T> {
  private readonly producer: Producer;

  constructor(settings: KafkaSinkSettings, context: SinkInitContext) {
    super(settings);
    this.producer = new Producer({ ...clientOptions(settings, `sink-${context.subtaskIndex}`), acks: -1 });
  }

  protected async send(messages: MessageToProduce[]): Promise<void> {
    await this.producer.send({ messages });
  }

  async close(): Promise<void> {
    await this.producer.close();
  }
}

type Transaction = Awaited<ReturnType<Producer['beginTransaction']>>;

interface OpenTransaction {
  n: number;
  id: string;
  producer: Producer;
  begun: Promise<Transaction>;
}

export class ExactlyOnceKafkaWriter<T>
  extends BatchingWriter<T>
  implements CommittingSinkWriter<T, KafkaCommittable>, StatefulSinkWriter<T, KafkaWriterState>
{
  /** The counter of the last transaction begun (or restored); the next one is n + 1. */
  private n = -1;
  private current: OpenTransaction | undefined;
  /** Sends run one after another: a transactional producer has one request in flight. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    settings: KafkaSinkSettings,
    private readonly context: SinkInitContext,
    private readonly base: string,
  ) {
    super(settings);
  }

  /**
   * Continues the counter from the restored state and aborts every
   * transaction a crashed run began after it: InitProducerId on an id fences
   * it and aborts its open transaction, and answers epoch 0 for an id never used.
   */
  async init(): Promise<void> {
    const { subtaskIndex, parallelism, restoredWriterStates } = this.context;
    const restored = restoredWriterStates.filter(isWriterState);
    const starts = probeStarts(restored, this.base, subtaskIndex, parallelism);
    this.n = starts[0]!.from - 1;
    const client = new TransactionCoordinatorClient(this.settings);
    try {
      for (const start of starts) {
        let aborted = 0;
        for (let n = start.from; n < start.from + MAX_PROBE; n++) {
          const id = transactionalId(this.base, start.subtask, n);
          // Typed, naming the id: a raw client error ("Cannot connect to any broker.") would not say it was Kafka.
          const { epoch } = await client.initProducerId(id).catch((error: unknown) => {
            throw new KafkaTransactionError(id, 'fencing', error, this.settings.bootstrapServers);
          });
          if (epoch === 0) break;
          aborted++;
        }
        if (aborted > 0) {
          logger('kafka', this.context.log).info(
            { base: this.base, subtask: start.subtask, from: start.from, aborted },
            'fenced transactional ids an earlier run used after the restored checkpoint (open transactions aborted)',
          );
        }
      }
    } finally {
      await client.close();
    }
  }

  snapshotState(): KafkaWriterState[] {
    return [{ base: this.base, subtask: this.context.subtaskIndex, n: this.n }];
  }

  protected send(messages: MessageToProduce[]): Promise<void> {
    const txn = this.transaction();
    this.chain = this.chain.then(async () => {
      const t = await txn.begun;
      await t.send({ messages });
    });
    return this.chain;
  }

  private transaction(): OpenTransaction {
    if (this.current) return this.current;
    const n = ++this.n;
    const id = transactionalId(this.base, this.context.subtaskIndex, n);
    const producer = new Producer({
      ...clientOptions(this.settings, `sink-${this.context.subtaskIndex}`),
      transactionalId: id,
      idempotent: true,
      // The producer's `timeout` is also the transaction timeout it registers (InitProducerId).
      timeout: this.settings.transactionTimeoutMs,
      // InitProducerId as a new producer (-1/-1). The client's default (0/0) is refused with PRODUCER_FENCED
      // for an id used before, and ids are reused after every restore.
      producerId: -1n,
      producerEpoch: -1,
    });
    const begun = producer.beginTransaction().catch((error: unknown) => {
      throw new KafkaTransactionError(id, 'begin', error, this.settings.bootstrapServers);
    });
    begun.catch(() => {}); // observed through the sends
    this.current = { n, id, producer, begun };
    return this.current;
  }

  /** Pre-commit at the barrier: everything is acknowledged, the transaction stays open for the committer. */
  async prepareCommit(): Promise<KafkaCommittable[]> {
    await this.flush();
    const open = this.current;
    this.current = undefined;
    // Without records there is no transaction; snapshotState still records the counter.
    if (!open) return [];
    await open.begun;
    const committable: KafkaCommittable = {
      transactionalId: open.id,
      producerId: String(open.producer.producerId),
      epoch: open.producer.producerEpoch!,
    };
    // Closing the connections leaves the transaction open on the broker.
    await open.producer.close();
    return [committable];
  }

  /**
   * Drops the connections and leaves the open transaction on the broker, as a
   * killed process does (tests simulate crashes with it; the next run's probe aborts it).
   */
  async abandon(): Promise<void> {
    const open = this.current;
    this.current = undefined;
    await open?.producer.close().catch(() => {});
  }

  /** A transaction not pre-committed can never be committed: abort it so that read_committed readers move on. */
  async close(): Promise<void> {
    const open = this.current;
    this.current = undefined;
    if (!open) return;
    try {
      const t = await open.begun;
      await this.chain.catch(() => {});
      await t.abort();
    } catch {
      // Best effort: the next run's aborter or the transaction timeout ends it.
    } finally {
      await open.producer.close().catch(() => {});
    }
  }
}
