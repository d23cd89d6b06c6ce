// The Kafka sink against a real broker: exactly-once through failures at bad
// moments (mid-stream; after a checkpoint completed but before its commits
// ran; with a crashed attempt's transactions left open; one transactional id
// left open by two crashed runs), and at-least-once losing nothing. A
// read_committed reader is compared with the generator's input, computed apart.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { endpoints, ensureServices } from '../../../scripts/testenv/index.ts';
import { SeededRandom, seedFor } from '../random.ts';
import type { TwoPhaseCommittingSink } from '../sink.ts';
import { StreamEnvironment } from '../../index.ts';
import { kafkaSink } from './kafka-sink.ts';
import { kafkaSource } from './kafka-source.ts';
import { countOf, KafkaTestCluster } from './testing.ts';
import type { KafkaCommittable } from './transaction-ids.ts';
import type { ExactlyOnceKafkaWriter } from './writer.ts';

const brokers = [...endpoints.kafka.bootstrapBrokers];
const root = mkdtempSync(join(tmpdir(), 'brook-kafka-sink-'));
let cluster: KafkaTestCluster;

before(async () => {
  await ensureServices('kafka');
  cluster = new KafkaTestCluster(brokers);
});
after(async () => {
  await cluster.close();
  rmSync(root, { recursive: true, force: true });
});

const generate = (i: number, r: SeededRandom) => `${i}:${r.int(0, 1000)}`;

function input(seed: number, count: number): string[] {
  const random = new SeededRandom();
  return Array.from({ length: count }, (_, i) => generate(i, random.reset(seedFor(seed, i))));
}

function exactlyOnce(topic: string) {
  return kafkaSink<string>({
    bootstrapServers: brokers,
    topic,
    key: (v) => v.split(':')[0],
    deliveryGuarantee: 'exactly-once',
    transactionalIdPrefix: `t-${topic}`,
    // Far longer than any test: an open transaction ends only because Brook ends it.
    transactionTimeoutMs: 600_000,
    batchSize: 200,
  }) as TwoPhaseCommittingSink<string, KafkaCommittable>;
}

/** Wraps a sink so that an attempt can "crash": its writers leave transactions open and its late commits are lost. */
function crashable(sink: TwoPhaseCommittingSink<string, KafkaCommittable>, options: { commitDelayMs?: number } = {}) {
  const state = { crashed: false, commitsStarted: 0, commits: 0 };
  const wrapped: TwoPhaseCommittingSink<string, KafkaCommittable> = {
    async createWriter(context) {
      const writer = await sink.createWriter(context);
      return {
        write: (v, c) => writer.write(v, c),
        flush: (end) => writer.flush?.(end),
        prepareCommit: () => writer.prepareCommit(),
        snapshotState: () => (writer as ExactlyOnceKafkaWriter<string>).snapshotState(),
        // A killed process aborts nothing (but its connections go: open ones would keep this test process alive).
        close: () => (state.crashed ? (writer as ExactlyOnceKafkaWriter<string>).abandon() : writer.close?.()),
      };
    },
    async createCommitter(context) {
      const committer = await sink.createCommitter(context);
      let closed = false;
      return {
        async commit(committables) {
          state.commitsStarted++;
          const crashedBefore = state.crashed;
          await new Promise((resolve) => setTimeout(resolve, options.commitDelayMs ?? 0));
          // The process died during this commit's delay, so it never reached the broker. The runtime may let
          // a commit in flight finish while it fails over: the crash itself, not only close(), loses it.
          if (closed || (state.crashed && !crashedBefore)) return;
          await committer.commit(committables);
          state.commits++;
        },
        async close() {
          closed = true;
          await committer.close?.();
        },
      };
    },
  };
  return { sink: wrapped, state };
}

async function assertExactlyOnce(topic: string, expected: string[]) {
  const seen = await cluster.readCommitted(topic, expected.length);
  const counts = countOf(seen.map((r) => r.value));
  const duplicates = [...counts].filter(([, n]) => n > 1).map(([v]) => v);
  const missing = expected.filter((v) => !counts.has(v));
  assert.deepEqual(
    { duplicates: duplicates.slice(0, 5), missing: missing.slice(0, 5) },
    { duplicates: [], missing: [] },
  );
  assert.equal(seen.length, expected.length);
  assert.equal(await cluster.hasOpenTransactions(topic), false, 'a transaction is still open');
}

for (const parallelism of [1, 3]) {
  test(
    `exactly-once: a failure mid-stream leaves every record visible exactly once (parallelism ${parallelism})`,
    { timeout: 120_000 },
    async () => {
      const topic = await cluster.createTopic('eos-mid', 3);
      let failed = false;
      const env = new StreamEnvironment()
        .setParallelism(parallelism)
        .enableCheckpointing(100)
        .setCheckpointStorage(`file://${root}/mid-${parallelism}`)
        .setRestartStrategy({ kind: 'fixed-delay', attempts: 2, delayMs: 10 });
      env
        .fromGenerator({ count: 4000, seed: 3, generate, recordsPerSecond: 8000 })
        .uid('numbers')
        .map((value) => {
          if (!failed && value.startsWith('2600:')) {
            failed = true;
            throw new Error('injected failure');
          }
          return value;
        })
        .sinkTo(exactlyOnce(topic))
        .uid('kafka-out');
      const result = await env.execute('eos-mid');
      assert.equal(result.restarts, 1);
      await assertExactlyOnce(topic, input(3, 4000));
    },
  );
}

test(
  'exactly-once: a crash after a checkpoint completed but before its commits ran; restored commits redone, open transactions aborted',
  { timeout: 120_000 },
  async () => {
    const topic = await cluster.createTopic('eos-worst', 2);
    const { sink, state } = crashable(exactlyOnce(topic), { commitDelayMs: 300 });
    const env = new StreamEnvironment()
      .setParallelism(3)
      .enableCheckpointing(100)
      .setCheckpointStorage(`file://${root}/worst`)
      .setRestartStrategy({ kind: 'fixed-delay', attempts: 2, delayMs: 10 });
    env
      // Slow enough that the crash moment (which needs completed checkpoints) comes before the end under load.
      .fromGenerator({ count: 5000, seed: 4, generate, recordsPerSecond: 2500 })
      .uid('numbers')
      .map((value) => {
        // A checkpoint completed (its commits began) and none has finished yet: the worst moment.
        if (!state.crashed && state.commitsStarted > 0 && state.commits === 0) {
          state.crashed = true;
          throw new Error('injected crash');
        }
        return value;
      })
      .rebalance()
      .sinkTo(sink)
      .uid('kafka-out');
    const wrappedFailure = env.execute('eos-worst');
    const result = await wrappedFailure;
    assert.ok(state.crashed);
    assert.equal(result.restarts, 1);
    await assertExactlyOnce(topic, input(4, 5000));
  },
);

test(
  'exactly-once: transactions a crashed attempt left open are aborted after the restart, so read_committed readers are not blocked',
  { timeout: 120_000 },
  async () => {
    const topic = await cluster.createTopic('eos-lingering', 2);
    const { sink, state } = crashable(exactlyOnce(topic));
    let sinceCommits = 0;
    const env = new StreamEnvironment()
      .setParallelism(1)
      .enableCheckpointing(100)
      .setCheckpointStorage(`file://${root}/lingering`)
      .setRestartStrategy({ kind: 'fixed-delay', attempts: 2, delayMs: 10 });
    env
      // Slow enough that the crash moment (which needs completed checkpoints) comes before the end under load.
      .fromGenerator({ count: 4000, seed: 5, generate, recordsPerSecond: 2500 })
      .uid('numbers')
      .map((value) => {
        // Checkpoints completed, then enough records for the writer to have sent into its open transaction
        // (batches of 200): that transaction, and any pre-committed one, is left behind.
        if (state.commits >= 3) sinceCommits++;
        if (!state.crashed && sinceCommits > 500) {
          state.crashed = true;
          throw new Error('injected crash');
        }
        return value;
      })
      .sinkTo(sink)
      .uid('kafka-out');
    const result = await env.execute('eos-lingering');
    assert.ok(state.crashed);
    assert.equal(result.restarts, 1);
    // With a 10-minute transaction timeout, only Brook's aborter can have ended the left-behind transactions.
    await assertExactlyOnce(topic, input(5, 4000));
  },
);

test(
  'exactly-once: two crashed runs restored from one checkpoint left transactions open under the same id; once a third commits under it, readers see only its records',
  { timeout: 60_000 },
  async () => {
    const topic = await cluster.createTopic('eos-reused-id', 1);
    const sink = exactlyOnce(topic);
    // Every run restores the same checkpoint (here: none), as the kill test's runs restored from one did: each
    // aborts the transaction the previous run left open and begins its own under the same id, so one producer id
    // ends two aborted transactions before the committed one. @platformatic/kafka's read_committed consumer
    // returned the first of them (one aborted range per producer id and fetch), which looked like duplicates.
    const init = {
      jobName: 'reused-id',
      operatorUid: 'out',
      subtaskIndex: 0,
      parallelism: 1,
      restoredWriterStates: [],
    };
    const context = { timestamp: () => undefined, currentWatermark: () => Number.MIN_SAFE_INTEGER };
    const run = async (name: string) => {
      const writer = (await sink.createWriter(init)) as ExactlyOnceKafkaWriter<string>;
      for (let i = 0; i < 5; i++) await writer.write(`${name}:${i}`, context);
      return writer;
    };
    for (const crashed of ['a', 'b']) {
      const writer = await run(crashed);
      await writer.flush(); // the records reach the broker inside the open transaction
      await writer.abandon(); // killed: nothing aborts it but the next run
    }
    const last = await run('c');
    const committables = await last.prepareCommit();
    await last.close();
    assert.deepEqual(
      committables.map((c) => c.transactionalId),
      [`t-${topic}-out-0-0`],
      'all three runs used one transactional id',
    );
    const committer = await sink.createCommitter(init);
    await committer.commit(committables);
    await committer.close?.();

    const expected = ['c:0', 'c:1', 'c:2', 'c:3', 'c:4'];
    assert.deepEqual(
      (await cluster.readCommitted(topic, expected.length, 30_000, 500)).map((r) => r.value),
      expected,
    );
    const env = new StreamEnvironment().setParallelism(1);
    const read = env.fromSource(kafkaSource({ bootstrapServers: brokers, topics: [topic], bounded: true })).collect();
    await env.execute('eos-reused-id-read');
    assert.deepEqual(read.values, expected, "Brook's Kafka source (read_committed)");
  },
);

test('at-least-once: every record arrives (duplicates allowed after a failure)', { timeout: 120_000 }, async () => {
  const topic = await cluster.createTopic('alo', 3);
  let failed = false;
  const env = new StreamEnvironment()
    .setParallelism(2)
    .enableCheckpointing(100)
    .setCheckpointStorage(`file://${root}/alo`)
    .setRestartStrategy({ kind: 'fixed-delay', attempts: 2, delayMs: 10 });
  env
    .fromGenerator({ count: 3000, seed: 6, generate, recordsPerSecond: 8000 })
    .map((value) => {
      if (!failed && value.startsWith('1700:')) {
        failed = true;
        throw new Error('injected failure');
      }
      return value;
    })
    .sinkTo(kafkaSink<string>({ bootstrapServers: brokers, topic, batchSize: 100 }));
  const result = await env.execute('alo');
  assert.equal(result.restarts, 1);
  const seen = new Set((await cluster.readCommitted(topic, 3000)).map((r) => r.value));
  const missing = input(6, 3000).filter((v) => !seen.has(v));
  assert.deepEqual(missing, []);
});

test('a bad sink configuration is refused naming the field', () => {
  assert.throws(
    () => kafkaSink({ bootstrapServers: 'nohost', topic: '', deliveryGuarantee: 'twice' as 'exactly-once' }),
    (error: Error & { code?: string }) =>
      error.code === 'BROOK_KAFKA_CONFIG' &&
      /bootstrapServers/.test(error.message) &&
      /topic/.test(error.message) &&
      /deliveryGuarantee/.test(error.message),
  );
});
