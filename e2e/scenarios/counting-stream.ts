// The running-count job's input, produced at a steady rate while a scenario
// acts (so every failure and upgrade lands while records flow), and its
// expected output computed from the input alone: key k's n-th record yields "k:n".
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { Producer, stringSerializers } from '@platformatic/kafka';
import { runningCountInput, type KafkaTestCluster } from '../../runtime/connectors/kafka/testing.ts';
import { endpoints } from '../../scripts/testenv/index.ts';

const KEYS = 24;
/** Input never flows longer than this, even if a test forgets to stop it. */
const FLOW_LIMIT_MS = 10 * 60_000;

export class CountingStream {
  /** Records acknowledged by the broker so far. */
  produced = 0;
  readonly expected: string[];
  private readonly records: { topic: string; key: string; value: string }[];
  private stopping = false;
  private producing: Promise<void> | undefined;
  private sampling: Promise<void> | undefined;
  private failure: unknown;
  /** When the output's committed record count was seen to grow (sampled every 100 ms while records flow). */
  private readonly outputGrew: number[] = [];

  constructor(
    private readonly kafka: KafkaTestCluster,
    readonly input: string,
    readonly output: string,
    readonly transactionalIdPrefix: string,
    total: number,
    seed: number,
  ) {
    ({ records: this.records, expected: this.expected } = runningCountInput(input, total, KEYS, seed));
  }

  /** A stream between two new topics of two partitions each. */
  static async create(kafka: KafkaTestCluster, label: string, total: number, seed: number): Promise<CountingStream> {
    const input = await kafka.createTopic(`${label}-in`, 2);
    const output = await kafka.createTopic(`${label}-out`, 2);
    return new CountingStream(kafka, input, output, output, total, seed);
  }

  /** job.args of the count job; `labels` change the spec without changing the graph. */
  args(...labels: string[]): string[] {
    return [endpoints.kafka.bootstrapBrokers.join(','), this.input, this.output, this.transactionalIdPrefix, ...labels];
  }

  /** Whether records flow: started, and neither stopped, failed nor run out. */
  get flowing(): boolean {
    return (
      this.producing !== undefined &&
      !this.stopping &&
      this.failure === undefined &&
      this.produced < this.records.length
    );
  }

  /**
   * Produces the input in batches every 100 ms until stop(), finish() or the input runs out, and
   * meanwhile samples the output's committed end offsets (see outputGap). One idempotent producer
   * sends each batch once it has the previous acknowledged, so per-key order is the order sent.
   */
  start(recordsPerSecond: number): void {
    this.producing ??= this.produce(Math.max(1, Math.round(recordsPerSecond / 10))).catch((error: unknown) => {
      this.failure = error;
    });
    this.sampling ??= this.sampleOutput();
  }

  private async produce(perBatch: number): Promise<void> {
    const producer = new Producer({
      clientId: 'brook-e2e-feed',
      bootstrapBrokers: [...this.kafka.brokers],
      serializers: stringSerializers,
      idempotent: true,
      acks: -1,
    });
    const started = Date.now();
    try {
      for (let batches = 1; !this.stopping && this.produced < this.records.length; batches++) {
        if (Date.now() - started > FLOW_LIMIT_MS) {
          throw new Error(`the input of ${this.input} flowed past ${FLOW_LIMIT_MS} ms`);
        }
        const next = this.records.slice(this.produced, this.produced + perBatch);
        await producer.send({ messages: next });
        this.produced += next.length;
        // Paced by the clock, not by sleeps alone: a slow send is caught up, never accumulated as drift.
        await delay(Math.max(0, started + batches * 100 - Date.now()));
      }
    } finally {
      await producer.close();
    }
  }

  private async sampleOutput(): Promise<void> {
    let last = 0n;
    // Bounded by stop(), finish() and the input running out; each round is one ListOffsets request.
    while (!this.stopping && this.produced < this.records.length) {
      const offsets = await this.kafka.endOffsets(this.output, 'read_committed').catch(() => undefined);
      const total = offsets?.reduce((a, b) => a + b, 0n) ?? last;
      if (total > last) this.outputGrew.push(Date.now());
      last = total;
      await delay(100);
    }
  }

  /**
   * The longest time between `from` and `to` (ms since the epoch) in which no output was committed,
   * as a reader of the output sees a failure or an upgrade: the downtime, to within the 100 ms sampling.
   */
  outputGap(from: number, to: number): number {
    const times = [from, ...this.outputGrew.filter((t) => t > from && t < to), to];
    let longest = 0;
    for (let i = 1; i < times.length; i++) longest = Math.max(longest, times[i]! - times[i - 1]!);
    return longest;
  }

  /** Stops after the batch in flight; returns `key:n` expected for every record produced, in order. */
  async stop(): Promise<string[]> {
    this.stopping = true;
    await Promise.all([this.producing, this.sampling]);
    if (this.failure !== undefined) throw new Error(`the input of ${this.input} failed`, { cause: this.failure });
    return this.expected.slice(0, this.produced);
  }

  /** Produces the rest of the input at once. */
  async finish(): Promise<void> {
    await this.stop();
    await this.kafka.produce(this.records.slice(this.produced));
    this.produced = this.records.length;
  }

  /**
   * Reads the output with an independent read_committed reader and checks it against the input:
   * every count exactly once (none lost, none repeated, none reset). Returns how many it read.
   */
  async verify(context: () => string): Promise<number> {
    const committed = await this.kafka.readCommitted(this.output, this.expected.length, 180_000, 3000);
    const counts = new Map<string, number>();
    for (const r of committed) counts.set(r.value, (counts.get(r.value) ?? 0) + 1);
    const duplicates = [...counts].filter(([, n]) => n > 1).map(([v]) => v);
    const missing = this.expected.filter((v) => !counts.has(v));
    const wanted = new Set(this.expected);
    const unexpected = [...counts.keys()].filter((v) => !wanted.has(v));
    assert.deepEqual(
      {
        duplicates: duplicates.slice(0, 5),
        missing: missing.slice(0, 5),
        unexpected: unexpected.slice(0, 5),
        total: committed.length,
      },
      { duplicates: [], missing: [], unexpected: [], total: this.expected.length },
      `exactly-once output of ${this.output} (${missing.length} missing, ${duplicates.length} repeated)\n${context()}`,
    );
    return committed.length;
  }
}
