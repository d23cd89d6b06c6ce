// The Kafka connector through broker outages, on a private broker this file
// stops, kills and hangs: down when the job starts (exactly-once and
// at-least-once), SIGKILLed or SIGSTOPped mid-run, down while commits are due,
// gone under a source alone, and never there at all. Failures must be typed and
// name the broker, the job restarts per its strategy, and once the broker is
// back an independent read_committed reader (and a downstream Brook source) sees
// what an independent count over the input predicts: exactly-once, each once.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { addPartitionsToTxnV5, ConnectionPool, endTxnV4, Producer, stringSerializers } from '@platformatic/kafka';
import { freeLoopbackPorts, PrivateKafka } from '../../../scripts/testenv/private-kafka.ts';
import type { KeyedProcessFunction } from '../../api/functions.ts';
import { CollectedRecords, collectSink, StreamEnvironment } from '../../index.ts';
import { valueState } from '../../state/descriptors.ts';
import type { ValueState } from '../../state/state.ts';
import { eventually, waitUntil } from '../../testing/wait-until.ts';
import { SeededRandom } from '../random.ts';
import type { Sink, TwoPhaseCommittingSink } from '../sink.ts';
import { kafkaSink } from './kafka-sink.ts';
import { kafkaSource } from './kafka-source.ts';
import { countOf, KafkaTestCluster, uniqueName } from './testing.ts';
import type { KafkaCommittable } from './transaction-ids.ts';

const root = mkdtempSync(join(tmpdir(), 'brook-kafka-outage-'));
let broker: PrivateKafka;

before(async () => {
  broker = await PrivateKafka.create();
  await broker.start();
});
after(async () => {
  await broker?.close();
  rmSync(root, { recursive: true, force: true });
});

/**
 * Few client retries and a short request timeout, so an unreachable broker fails
 * an attempt in seconds (the defaults retry for ~45 s and wait 30 s on a hung broker).
 */
const connection = () => ({ bootstrapServers: broker.brokers, retries: 2, requestTimeoutMs: 3000 });

interface Keyed {
  key: string;
  value: string;
}

/** How far the job got: the highest input index the count has seen, over all attempts. */
interface Progress {
  maxIndex: number;
}

type Failure = { at: number; error: unknown };

/** Kafka in -> running count per key -> `sink`: every input record yields `key:n`. */
function keyedCountJob(options: {
  name: string;
  input: string;
  bounded: boolean;
  sink: Sink<Keyed>;
  progress: Progress;
  parallelism?: number;
}) {
  const { progress } = options;
  const count: KeyedProcessFunction<string, Keyed, Keyed> & { n?: ValueState<number> } = {
    open(ctx) {
      this.n = ctx.getState(valueState<number>('n'));
    },
    processElement(record, _ctx, out) {
      const n = (this.n!.value() ?? 0) + 1;
      this.n!.update(n);
      progress.maxIndex = Math.max(progress.maxIndex, Number(record.value));
      out.collect({ key: record.key, value: `${record.key}:${n}` });
    },
  };
  const env = new StreamEnvironment()
    .setParallelism(options.parallelism ?? 2)
    .enableCheckpointing(200)
    .setCheckpointStorage(`file://${root}/${options.name}`)
    // Restarts are what carries the job over the outage: many, quickly.
    .setRestartStrategy({ kind: 'fixed-delay', attempts: 200, delayMs: 200 });
  env
    .fromSource(
      kafkaSource({
        ...connection(),
        topics: [options.input],
        bounded: options.bounded,
        partitionDiscoveryIntervalMs: 0,
        map: (r): Keyed => ({ key: String(r.key), value: r.value }),
      }),
    )
    .uid('in')
    .keyBy((r) => r.key)
    .process(count)
    .uid('count')
    .sinkTo(options.sink)
    .uid('out');
  return env;
}

function outputSink(output: string, deliveryGuarantee: 'exactly-once' | 'at-least-once') {
  return kafkaSink<Keyed>({
    ...connection(),
    topic: output,
    key: (r) => r.key,
    value: (r) => r.value,
    deliveryGuarantee,
    transactionalIdPrefix: `t-${output}`,
    // Far longer than the test: a transaction left open ends only because Brook ends it.
    transactionTimeoutMs: 600_000,
    // Small batches: records reach the broker inside open transactions, where an outage hurts.
    batchSize: 50,
  });
}

/** Input records `{ key: k0..k19, value: index }` and, computed apart, the `key:n` each must yield. */
function inputAndExpected(topic: string, count: number, seed: number) {
  const random = new SeededRandom().reset(seed);
  const records = Array.from({ length: count }, (_, i) => ({ topic, key: `k${random.int(0, 19)}`, value: `${i}` }));
  const seen = new Map<string, number>();
  const expected = records.map((r) => {
    const n = (seen.get(r.key) ?? 0) + 1;
    seen.set(r.key, n);
    return `${r.key}:${n}`;
  });
  return { records, expected };
}

/** Produces `records` in batches, each once the job has counted the one before (pacing by progress, not by time). */
async function produceAlongside(cluster: KafkaTestCluster, records: { value: string }[], progress: Progress) {
  for (let i = 0; i < records.length; i += 100) {
    const batch = records.slice(i, i + 100) as Parameters<KafkaTestCluster['produce']>[0];
    await cluster.produce(batch);
    const last = Number(batch.at(-1)!.value);
    await waitUntil(() => progress.maxIndex >= last, `the job counted input record ${last}`, 30_000);
  }
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** For the test's diagnostics: the failures after `since`, counted by message (ports and ids left in). */
function failuresSince(failures: Failure[], since: number): string {
  const after = failures.filter((f) => f.at >= since);
  const counts = countOf(after.map((f) => messageOf(f.error)));
  return `${after.length} restart(s) after the broker was back${[...counts].map(([m, n]) => `\n  ${n}x ${m}`).join('')}`;
}

/** The error itself or one of its causes with a Kafka connector code (the runtime wraps operator failures). */
function kafkaErrorIn(error: unknown): (Error & { code: string }) | undefined {
  let e = error;
  for (let depth = 0; depth < 10 && e instanceof Error; depth++, e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('BROOK_KAFKA_')) return e as Error & { code: string };
  }
  return undefined;
}

/** A failure the job restarted after: a typed Kafka error inside, and a message that names the unreachable broker. */
function assertNamesBroker(failure: Failure) {
  const { error } = failure;
  assert.ok(kafkaErrorIn(error), `no typed Kafka error in: ${messageOf(error)}`);
  assert.ok(
    messageOf(error).includes(broker.brokers[0]!),
    `failure does not name the broker ${broker.brokers[0]}: ${messageOf(error)}`,
  );
}

async function assertExactlyOnce(cluster: KafkaTestCluster, topic: string, expected: string[]) {
  const seen = await cluster.readCommitted(topic, expected.length, 60_000);
  const counts = countOf(seen.map((r) => r.value));
  const duplicates = [...counts].filter(([, n]) => n > 1).map(([v]) => v);
  const missing = expected.filter((v) => !counts.has(v));
  assert.deepEqual(
    { duplicates: duplicates.slice(0, 5), missing: missing.slice(0, 5), total: seen.length },
    { duplicates: [], missing: [], total: expected.length },
  );
  for (const r of seen) assert.equal(r.key, r.value.split(':')[0], 'each record keyed by its key');
}

/**
 * Creates a topic and waits until the broker lists it: a source started before
 * that finds no partitions, and with discovery off it would read nothing, silently.
 */
async function createVisibleTopic(cluster: KafkaTestCluster, label: string, partitions: number): Promise<string> {
  const topic = await cluster.createTopic(label, partitions);
  const deadline = Date.now() + 10_000;
  while (!(await cluster.admin.listTopics({ includeInternals: false })).includes(topic)) {
    if (Date.now() > deadline) throw new Error(`topic ${topic} not listed 10 s after its creation`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return topic;
}

/**
 * What a downstream job reads: a bounded Brook Kafka source over `topic`, read_committed,
 * as a job consuming this one's output would (an outage leaves aborted transactions behind).
 */
async function readWithBrookSource(topic: string): Promise<string[]> {
  const collected = new CollectedRecords<string>();
  const env = new StreamEnvironment();
  env
    .fromSource(kafkaSource({ ...connection(), topics: [topic], bounded: true, partitionDiscoveryIntervalMs: 0 }))
    .sinkTo(collectSink(collected));
  await env.execute(uniqueName('outage-downstream'));
  return collected.values;
}

/** Runs `body` with a fresh helper on the private broker (started or resumed if a failed test left it away). */
async function withCluster(body: (cluster: KafkaTestCluster) => Promise<void>) {
  if (!broker.running) await broker.start();
  const cluster = new KafkaTestCluster(broker.brokers);
  try {
    await body(cluster);
  } finally {
    if (broker.paused) broker.resume();
    if (!broker.running) await broker.start();
    await cluster.close();
  }
}

for (const guarantee of ['exactly-once', 'at-least-once'] as const) {
  test(
    `${guarantee}: a broker unreachable when the job starts fails attempts naming it, and once it is up nothing is lost${guarantee === 'exactly-once' ? ' or repeated' : ''}`,
    { timeout: 90_000 },
    (t) =>
      withCluster(async (cluster) => {
        const input = await createVisibleTopic(cluster, 'outage-start-in', 3);
        const output = await createVisibleTopic(cluster, 'outage-start-out', 2);
        const { records, expected } = inputAndExpected(input, 2000, guarantee === 'exactly-once' ? 1 : 2);
        await cluster.produce(records);
        await broker.stop();

        const progress = { maxIndex: -1 };
        const failures: Failure[] = [];
        const env = keyedCountJob({
          name: `start-${guarantee}`,
          input,
          bounded: true,
          sink: outputSink(output, guarantee),
          progress,
        });
        const running = env.execute(uniqueName('outage-start'), {
          onRestart: (error) => failures.push({ at: Date.now(), error }),
        });
        running.catch(() => {}); // awaited below; a failure before then must not be unhandled
        // Two failed attempts: the job retries, per its restart strategy, while the broker stays away.
        await waitUntil(() => failures.length >= 2, 'two attempts failed on the unreachable broker', 30_000);
        for (const failure of failures) assertNamesBroker(failure);
        t.diagnostic(`first failure: ${messageOf(failures[0]!.error)}`);
        assert.equal(progress.maxIndex, -1, 'nothing was read while the broker was down');

        await broker.start();
        const backAt = Date.now();
        const result = await running;
        assert.ok(result.restarts >= 2, `only ${result.restarts} restarts`);
        t.diagnostic(failuresSince(failures, backAt));
        if (guarantee === 'exactly-once') {
          await assertExactlyOnce(cluster, output, expected);
          assert.equal(await cluster.hasOpenTransactions(output), false, 'a transaction is still open');
        } else {
          const seen = new Set((await cluster.readCommitted(output, expected.length)).map((r) => r.value));
          assert.deepEqual(
            expected.filter((v) => !seen.has(v)),
            [],
          );
          assert.deepEqual(
            [...seen].filter((v) => !expected.includes(v)),
            [],
          );
        }
      }),
  );
}

/**
 * The two ways a broker goes away mid-run: SIGKILLed (connections refused until
 * it is started again) or hung by SIGSTOP (connections stay open, requests time out).
 */
const outages = {
  'SIGKILLed mid-run and started again': {
    begin: () => broker.kill(),
    // Two failed attempts: the one the outage broke and a restart that found no broker.
    failures: 2,
    end: () => broker.start(),
  },
  'hung mid-run (SIGSTOP) and resumed': {
    begin: () => broker.pause(),
    // Requests time out (3 s each) rather than being refused: one failed attempt is enough to wait for.
    failures: 1,
    end: () => broker.resume(),
  },
};

for (const [outage, { begin, failures: failuresToWait, end }] of Object.entries(outages)) {
  test(
    `exactly-once: the broker ${outage}; attempts fail naming it, then nothing is lost or repeated`,
    { timeout: 90_000 },
    (t) =>
      withCluster(async (cluster) => {
        const input = await createVisibleTopic(cluster, 'outage-mid-in', 3);
        const output = await createVisibleTopic(cluster, 'outage-mid-out', 2);
        const { records, expected } = inputAndExpected(input, 2000, 3);
        const progress = { maxIndex: -1 };
        const failures: Failure[] = [];
        const env = keyedCountJob({
          name: `mid-${failuresToWait}`,
          input,
          bounded: false,
          sink: outputSink(output, 'exactly-once'),
          progress,
        });
        const abort = new AbortController();
        const running = env.execute(uniqueName('outage-mid'), {
          signal: abort.signal,
          onRestart: (error) => failures.push({ at: Date.now(), error }),
        });
        running.catch(() => {});
        try {
          // Input flows, the sink's transactions are open with records in them: the broker goes away.
          await produceAlongside(cluster, records.slice(0, 1000), progress);
          assert.equal(failures.length, 0, `the job failed before the outage: ${messageOf(failures[0]?.error)}`);
          const outageAt = Date.now();
          await begin();
          await waitUntil(
            () => failures.length >= failuresToWait,
            `${failuresToWait} attempt(s) failed on the broker`,
            60_000,
          );
          for (const failure of failures) assertNamesBroker(failure);
          t.diagnostic(`failures while away: ${failures.map((f) => messageOf(f.error)).join(' | ')}`);

          await end();
          const backAt = Date.now();
          t.diagnostic(`broker away for ${backAt - outageAt} ms`);
          await produceAlongside(cluster, records.slice(1000), progress);
          await assertExactlyOnce(cluster, output, expected);
          t.diagnostic(failuresSince(failures, backAt));
        } finally {
          abort.abort();
          await running.catch(() => {});
        }
        assert.equal(await cluster.hasOpenTransactions(output), false, 'a transaction is still open');
        // A downstream Brook job reading the output sees the same: each record once, aborted ones never.
        const downstream = countOf(await readWithBrookSource(output));
        assert.deepEqual(
          {
            duplicates: [...downstream].filter(([, n]) => n > 1).slice(0, 5),
            missing: expected.filter((v) => !downstream.has(v)).slice(0, 5),
            total: [...downstream.values()].reduce((a, b) => a + b, 0),
          },
          { duplicates: [], missing: [], total: expected.length },
        );
      }),
  );
}

/**
 * Holds every commit until `release()`, and records which subtasks are held and
 * which transactions were pre-committed: the test picks the moment commits reach the broker.
 */
function holdingCommits(sink: TwoPhaseCommittingSink<Keyed, KafkaCommittable>) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const state = { heldSubtasks: new Set<number>(), held: new Set<string>(), release };
  const wrapped: TwoPhaseCommittingSink<Keyed, KafkaCommittable> = {
    createWriter: (context) => sink.createWriter(context),
    async createCommitter(context) {
      const committer = await sink.createCommitter(context);
      return {
        async commit(committables) {
          state.heldSubtasks.add(context.subtaskIndex);
          for (const c of committables) state.held.add(c.transactionalId);
          await released;
          await committer.commit(committables);
        },
        close: () => committer.close?.(),
      };
    },
  };
  return { sink: wrapped, state };
}

/** The id of the newest completed checkpoint of job `jobId` of the test `name` (0: none yet). */
function newestCheckpoint(name: string, jobId: string): number {
  const dir = join(root, name, jobId);
  if (!existsSync(dir)) return 0;
  const completed = readdirSync(dir).filter((d) => existsSync(join(dir, d, '_metadata')));
  return Math.max(0, ...completed.map((d) => Number(d.replace('chk-', ''))));
}

const sum = (offsets: bigint[]) => offsets.reduce((a, b) => a + Number(b), 0);

test(
  'exactly-once: commits due while the broker is down fail naming it, and the restored run commits them once it is back',
  { timeout: 90_000 },
  (t) =>
    withCluster(async (cluster) => {
      const input = await createVisibleTopic(cluster, 'outage-commit-in', 3);
      const output = await createVisibleTopic(cluster, 'outage-commit-out', 2);
      const { records, expected } = inputAndExpected(input, 1500, 4);
      const progress = { maxIndex: -1 };
      const failures: Failure[] = [];
      const { sink, state } = holdingCommits(
        outputSink(output, 'exactly-once') as TwoPhaseCommittingSink<Keyed, KafkaCommittable>,
      );
      const env = keyedCountJob({ name: 'commit', input, bounded: false, sink, progress });
      const abort = new AbortController();
      const running = env.execute(uniqueName('outage-commit'), {
        signal: abort.signal,
        onRestart: (error) => failures.push({ at: Date.now(), error }),
      });
      running.catch(() => {});
      try {
        await cluster.produce(records.slice(0, 1000));
        // A task awaits its commits before its next input (Task.drainPendingWork): once both sink subtasks hold
        // one, nothing writes, and the first thing the outage breaks is a commit.
        await waitUntil(() => state.heldSubtasks.size === 2, 'both sink subtasks hold a commit', 30_000);
        assert.ok(state.held.size > 0, 'no transaction was pre-committed');
        assert.equal(sum(await cluster.endOffsets(output, 'read_committed')), 0, 'a transaction was committed');
        assert.ok(sum(await cluster.endOffsets(output, 'read_uncommitted')) > 0, 'no record reached the broker');
        assert.equal(failures.length, 0, `the job failed before the outage: ${messageOf(failures[0]?.error)}`);

        await broker.kill();
        state.release();
        await waitUntil(() => failures.length >= 2, 'the commit and a restart failed on the killed broker', 30_000);
        for (const failure of failures) assertNamesBroker(failure);
        const first = kafkaErrorIn(failures[0]!.error)!;
        assert.equal(first.code, 'BROOK_KAFKA_TRANSACTION', first.message);
        assert.match(first.message, /commit failed/);
        assert.ok(
          [...state.held].some((id) => first.message.includes(id)),
          `the failed commit names none of the held transactions: ${first.message}`,
        );
        t.diagnostic(`failed commit: ${messageOf(failures[0]!.error)}`);

        await broker.start();
        const backAt = Date.now();
        await produceAlongside(cluster, records.slice(1000), progress);
        await assertExactlyOnce(cluster, output, expected);
        t.diagnostic(failuresSince(failures, backAt));
      } finally {
        state.release();
        abort.abort();
        await running.catch(() => {});
      }
      assert.equal(await cluster.hasOpenTransactions(output), false, 'a transaction is still open');
    }),
);

test(
  'source: the broker SIGKILLed mid-run and back; the reader retries in place, no restart, nothing lost or read twice',
  { timeout: 90_000 },
  (t) =>
    withCluster(async (cluster) => {
      const input = await createVisibleTopic(cluster, 'outage-source-in', 3);
      const { records, expected } = inputAndExpected(input, 1500, 5);
      const progress = { maxIndex: -1 };
      const failures: Failure[] = [];
      const collected = new CollectedRecords<Keyed>();
      const env = keyedCountJob({ name: 'source', input, bounded: false, sink: collectSink(collected), progress });
      const abort = new AbortController();
      const jobId = uniqueName('outage-source');
      const running = env.execute(jobId, {
        jobId,
        signal: abort.signal,
        onRestart: (error) => failures.push({ at: Date.now(), error }),
      });
      running.catch(() => {});
      try {
        await produceAlongside(cluster, records.slice(0, 1000), progress);
        await broker.kill();
        const killedAt = Date.now();
        // The job goes on without its broker: checkpoints complete while the reader's fetches fail.
        const atKill = newestCheckpoint('source', jobId);
        await waitUntil(
          () => newestCheckpoint('source', jobId) >= atKill + 3,
          'three checkpoints during the outage',
          30_000,
        );
        await broker.start();
        t.diagnostic(`broker unreachable for ${Date.now() - killedAt} ms`);
        await produceAlongside(cluster, records.slice(1000), progress);
        await waitUntil(() => collected.records.length >= expected.length, 'every record was counted', 30_000);
      } finally {
        abort.abort();
        await running.catch(() => {});
      }
      assert.deepEqual(
        failures.map((f) => messageOf(f.error)),
        [],
        'the job restarted',
      );
      const counts = countOf(collected.values.map((r) => r.value));
      assert.deepEqual(
        {
          duplicates: [...counts].filter(([, n]) => n > 1).slice(0, 5),
          missing: expected.filter((v) => !counts.has(v)).slice(0, 5),
          total: collected.records.length,
        },
        { duplicates: [], missing: [], total: expected.length },
      );
      t.diagnostic(`records: ${collected.records.length}`);
    }),
);

test(
  'a job whose restarts run out while no broker answers fails with an error naming the broker and the strategy',
  { timeout: 60_000 },
  async () => {
    // Nothing listens on a port just found free: every connection is refused, as with a broker that is down.
    const nowhere = `127.0.0.1:${(await freeLoopbackPorts(1))[0]}`;
    const settings = { bootstrapServers: [nowhere], retries: 2, requestTimeoutMs: 3000 };
    const env = new StreamEnvironment()
      .enableCheckpointing(200)
      .setCheckpointStorage(`file://${root}/give-up`)
      .setRestartStrategy({ kind: 'fixed-delay', attempts: 1, delayMs: 10 });
    env
      .fromSource(kafkaSource({ ...settings, topics: ['in'], bounded: true }))
      .uid('in')
      .sinkTo(kafkaSink({ ...settings, topic: 'out', deliveryGuarantee: 'exactly-once' }))
      .uid('out');
    await assert.rejects(env.execute(uniqueName('outage-give-up')), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'BROOK_JOB_FAILED', error.message);
      assert.ok(error.message.includes(nowhere), error.message);
      assert.match(error.message, /not restarted: fixed-delay restart strategy exhausted its 1 attempts/);
      assert.ok(kafkaErrorIn(error), `no typed Kafka error in: ${error.message}`);
      return true;
    });
  },
);

/**
 * Writes to partition 0 of `topic`: an abort marker of a transaction that wrote
 * nothing there (its partition added, then aborted, as when a broker went away
 * between AddPartitionsToTxn and the records), an aborted transaction with
 * records, and a committed one. Returns the committed values.
 */
async function abortMarkerWithoutRecords(cluster: KafkaTestCluster, topic: string): Promise<string[]> {
  const transactional = (id: string) =>
    new Producer({
      clientId: 'brook-test-txn',
      bootstrapBrokers: broker.brokers,
      serializers: stringSerializers,
      transactionalId: id,
      idempotent: true,
      producerId: -1n,
      producerEpoch: -1,
    });
  const transactionalId = uniqueName('empty');
  const empty = transactional(transactionalId);
  await empty.beginTransaction();
  const [producerId, producerEpoch] = [empty.producerId!, empty.producerEpoch!];
  await empty.close();
  const pool = new ConnectionPool('brook-test-txn', { requestTimeout: 10_000 });
  try {
    const [host, port] = broker.brokers[0]!.split(':');
    const connection = await pool.get({ host: host!, port: Number(port) });
    await addPartitionsToTxnV5.api.async(connection, [
      { transactionalId, producerId, producerEpoch, verifyOnly: false, topics: [{ name: topic, partitions: [0] }] },
    ]);
    await endTxnV4.api.async(connection, transactionalId, producerId, producerEpoch, false);
  } finally {
    await pool.close();
  }
  for (const [values, commit] of [
    [['aborted-1', 'aborted-2'], false],
    [['committed-1', 'committed-2', 'committed-3'], true],
  ] as const) {
    const producer = transactional(uniqueName('data'));
    try {
      const transaction = await producer.beginTransaction();
      await transaction.send({ messages: values.map((value) => ({ topic, value, partition: 0 })) });
      await (commit ? transaction.commit() : transaction.abort());
    } finally {
      await producer.close();
    }
  }
  // 8 offsets: 5 records and 3 markers, the first marker with no record of its transaction before it.
  // EndTxn answers once the coordinator has logged its decision; it writes the markers to the partition
  // after that, so the last stable offset reaches 8 a moment later.
  await eventually(
    () => cluster.endOffsets(topic, 'read_committed'),
    (offsets) => offsets.length === 1 && offsets[0] === 8n,
    'the transaction markers are written (last stable offset 8)',
    10_000,
  );
  return ['committed-1', 'committed-2', 'committed-3'];
}

test(
  'source: an abort marker whose transaction wrote nothing to the partition (as outages leave them) neither crashes the reader nor lets aborted records through',
  { timeout: 60_000 },
  () =>
    withCluster(async (cluster) => {
      const topic = await createVisibleTopic(cluster, 'outage-marker', 1);
      const committed = await abortMarkerWithoutRecords(cluster, topic);
      // @platformatic/kafka's own read_committed filter throws an uncaught TypeError on this shape (issue 391).
      assert.deepEqual(await readWithBrookSource(topic), committed);
    }),
);
