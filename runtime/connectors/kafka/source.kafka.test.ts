// The Kafka source against a real broker: every record read once at any
// parallelism, starting positions, positions restored from a savepoint (not
// from the group), group offsets committed for lag, partitions and topics
// found while running, per-partition watermarks, and dead letters. Expected
// output is computed from what the test produced, apart from the runtime.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { z } from 'zod';
import { endpoints, ensureServices } from '../../../scripts/testenv/index.ts';
import { OutputTag } from '../../api/output-tag.ts';
import { JobControl } from '../../execution/job-control.ts';
import { StreamEnvironment } from '../../index.ts';
import { waitUntil } from '../../testing/wait-until.ts';
import { forMonotonousTimestamps } from '../../time/watermark-strategy.ts';
import { TumblingEventTimeWindows } from '../../windows/assigners.ts';
import { KafkaAdmin } from './admin.ts';
import { kafkaSource } from './kafka-source.ts';
import type { KafkaDeadLetter } from './records.ts';
import { countOf, KafkaTestCluster, uniqueName } from './testing.ts';

const brokers = [...endpoints.kafka.bootstrapBrokers];
const root = mkdtempSync(join(tmpdir(), 'brook-kafka-source-'));
let cluster: KafkaTestCluster;

before(async () => {
  await ensureServices('kafka');
  cluster = new KafkaTestCluster(brokers);
});
after(async () => {
  await cluster.close();
  rmSync(root, { recursive: true, force: true });
});

/** `count` records keyed over 7 users, values unique: `v<i>`. */
function records(topic: string, count: number, from = 0) {
  return Array.from({ length: count }, (_, k) => ({ topic, key: `user-${(from + k) % 7}`, value: `v${from + k}` }));
}

/** Where each record landed, read back independently: value -> partition and offset. */
interface Located {
  value: string;
  partition: number;
  offset: number;
}

function assertOncePerValue(seen: string[], expected: string[]) {
  const counts = countOf(seen);
  const duplicates = [...counts].filter(([, n]) => n > 1).map(([v]) => v);
  const missing = expected.filter((v) => !counts.has(v));
  const unexpected = seen.filter((v) => !expected.includes(v));
  assert.deepEqual(
    { duplicates: duplicates.slice(0, 5), missing: missing.slice(0, 5), unexpected: unexpected.slice(0, 5) },
    { duplicates: [], missing: [], unexpected: [] },
  );
}

for (const parallelism of [1, 3]) {
  test(`a bounded source reads every record of every partition once, in offset order per partition (parallelism ${parallelism})`, async () => {
    const topic = await cluster.createTopic('bounded', 4);
    const input = records(topic, 2000);
    await cluster.produce(input);
    const env = new StreamEnvironment().setParallelism(parallelism);
    const out = env
      .fromSource(
        kafkaSource({
          bootstrapServers: brokers,
          topics: [topic],
          bounded: true,
          map: (r): Located => ({ value: r.value, partition: r.partition, offset: r.offset }),
        }),
      )
      .collect();
    await env.execute('kafka-bounded');
    const seen = out.values;
    assertOncePerValue(
      seen.map((r) => r.value),
      input.map((r) => r.value),
    );
    // One reader owns a partition, and it emits the partition's records in offset order.
    for (let partition = 0; partition < 4; partition++) {
      const mine = out.records.filter((r) => r.value.partition === partition);
      assert.equal(new Set(mine.map((r) => r.subtask)).size, 1, `partition ${partition} was read by one reader`);
      const offsets = mine.map((r) => r.value.offset);
      assert.deepEqual(
        offsets,
        [...offsets].sort((a, b) => a - b),
        `partition ${partition} in offset order`,
      );
    }
    if (parallelism === 3) assert.ok(new Set(out.records.map((r) => r.subtask)).size > 1, 'partitions were spread');
  });
}

test('record timestamps become event time; a timestamp start reads from the first record at or after it', async () => {
  const topic = await cluster.createTopic('timestamps', 2);
  const base = Date.now() - 3_600_000;
  const input = Array.from({ length: 100 }, (_, i) => ({
    topic,
    key: `k${i % 5}`,
    value: `v${i}`,
    timestamp: base + i * 1000,
  }));
  await cluster.produce(input);
  const env = new StreamEnvironment().setParallelism(2);
  const out = env
    .fromSource(
      kafkaSource({
        bootstrapServers: brokers,
        topics: [topic],
        bounded: true,
        startingOffsets: { timestamp: base + 59_500 },
      }),
    )
    .collect();
  await env.execute('kafka-timestamps');
  const expected = input.filter((r) => r.timestamp >= base + 59_500);
  assertOncePerValue(
    out.values,
    expected.map((r) => r.value),
  );
  const timestampOf = new Map(input.map((r) => [r.value, r.timestamp]));
  for (const r of out.records) assert.equal(r.timestamp, timestampOf.get(r.value), `event time of ${r.value}`);
});

test('a latest start skips what was in the topic and reads everything produced after the source started', async () => {
  const topic = await cluster.createTopic('latest', 2);
  await cluster.produce(records(topic, 100));
  const env = new StreamEnvironment().setParallelism(2);
  const out = env
    .fromSource(kafkaSource({ bootstrapServers: brokers, topics: [topic], startingOffsets: 'latest' }))
    .collect();
  const control = new JobControl();
  const job = env.execute('kafka-latest', { control });
  // The start position is fixed when the enumerator starts, at an unknown moment: keep producing (bounded)
  // until something arrives; then everything from the first record seen on must arrive.
  let produced = 100;
  for (let round = 0; round < 100 && out.values.length === 0; round++) {
    await cluster.produce(records(topic, 10, produced));
    produced += 10;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await cluster.produce(records(topic, 50, produced));
  produced += 50;
  const first = Math.min(...out.values.map((v) => Number(v.slice(1))));
  assert.ok(first >= 100, `a record produced before the start was read: v${first}`);
  await waitUntil(() => out.values.length >= produced - first, 'the records after the start', 30_000);
  await control.stopWithSavepoint(`file://${root}/latest-sp`);
  await job;
  const tail = Array.from({ length: produced - first }, (_, k) => `v${first + k}`);
  // Produced in rounds of 10 over two partitions: what came before the first seen record may be partly read.
  const seen = out.values.filter((v) => Number(v.slice(1)) >= first);
  assertOncePerValue(seen, tail);
});

test('committed start: the group offset where one exists, the reset rule elsewhere; reset fail names the partition', async () => {
  const topic = await cluster.createTopic('committed', 2);
  await cluster.produce([
    ...Array.from({ length: 20 }, (_, i) => ({ topic, value: `p0-${i}`, partition: 0 })),
    ...Array.from({ length: 20 }, (_, i) => ({ topic, value: `p1-${i}`, partition: 1 })),
  ]);
  const groupId = uniqueName('group');
  const admin = new KafkaAdmin({
    bootstrapServers: brokers,
    clientId: 'brook-test',
    retries: 5,
    requestTimeoutMs: 10_000,
  });
  try {
    await admin.commitOffsets(groupId, [{ topic, partition: 0, offset: 15 }]);
  } finally {
    await admin.close();
  }
  const env = new StreamEnvironment().setParallelism(1);
  const out = env
    .fromSource(
      kafkaSource({
        bootstrapServers: brokers,
        topics: [topic],
        groupId,
        bounded: true,
        startingOffsets: { committed: { reset: 'earliest' } },
      }),
    )
    .collect();
  await env.execute('kafka-committed');
  const expected = [...[15, 16, 17, 18, 19].map((i) => `p0-${i}`), ...Array.from({ length: 20 }, (_, i) => `p1-${i}`)];
  assertOncePerValue(out.values, expected);

  const failing = new StreamEnvironment().setParallelism(1);
  failing
    .fromSource(
      kafkaSource({
        bootstrapServers: brokers,
        topics: [topic],
        groupId,
        bounded: true,
        startingOffsets: { committed: { reset: 'fail' } },
      }),
    )
    .collect();
  failing.setRestartStrategy({ kind: 'none' });
  await assert.rejects(failing.execute('kafka-committed-fail'), (error: Error) => {
    assert.match(String(error.message), new RegExp(`no committed offset for ${topic}-1`));
    return true;
  });
});

test('positions come from the savepoint, not the group; rescaled 2 -> 3 it reads exactly the rest; offsets go to the group for lag', async () => {
  const topic = await cluster.createTopic('restore', 4);
  await cluster.produce(records(topic, 500));
  const groupId = uniqueName('group');
  const source = () =>
    kafkaSource({
      bootstrapServers: brokers,
      topics: [topic],
      groupId,
      startingOffsets: { committed: { reset: 'earliest' } },
      partitionDiscoveryIntervalMs: 0,
    });
  const first = new StreamEnvironment()
    .setParallelism(2)
    .enableCheckpointing(100)
    .setCheckpointStorage(`file://${root}/restore-chk`);
  const firstOut = first.fromSource(source()).uid('kafka-in').collect();
  const control = new JobControl();
  const job = first.execute('kafka-restore-1', { control });
  await waitUntil(() => firstOut.values.length >= 500, 'the first 500 records', 30_000);
  const admin = new KafkaAdmin({
    bootstrapServers: brokers,
    clientId: 'brook-test',
    retries: 5,
    requestTimeoutMs: 10_000,
  });
  const partitions = [0, 1, 2, 3].map((partition) => ({ topic, partition }));
  try {
    const ends = await admin.offsets(partitions, -1n);
    // A checkpoint completed after everything was read commits the end offsets to the group.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const committed = await admin.committedOffsets(groupId, partitions);
      if ([...ends].every(([id, end]) => committed.get(id) === end)) break;
      assert.ok(
        Date.now() < deadline,
        `group offsets ${JSON.stringify([...committed])} never reached ${JSON.stringify([...ends])}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const savepoint = await control.stopWithSavepoint(`file://${root}/restore-sp`);
    await job;
    // Rewind the group to the start: a source that trusted the group would read everything again.
    await admin.commitOffsets(
      groupId,
      partitions.map((p) => ({ ...p, offset: 0 })),
    );
    await cluster.produce(records(topic, 300, 500));

    const second = new StreamEnvironment().setParallelism(3);
    const secondOut = second.fromSource(source()).uid('kafka-in').collect();
    const control2 = new JobControl();
    const job2 = second.execute('kafka-restore-2', { control: control2, fromSavepoint: savepoint });
    await waitUntil(() => secondOut.values.length >= 300, 'the 300 records produced after the savepoint', 30_000);
    await control2.stopWithSavepoint(`file://${root}/restore-sp2`);
    await job2;
    assertOncePerValue(
      firstOut.values,
      records(topic, 500).map((r) => r.value),
    );
    assertOncePerValue(
      secondOut.values,
      records(topic, 300, 500).map((r) => r.value),
    );
    assert.ok(
      new Set(secondOut.records.map((r) => r.subtask)).size > 1,
      'the restored splits were dealt to several readers',
    );
  } finally {
    await admin.close();
  }
});

test('topics matching a pattern and partitions added while running are found and read from their start', async () => {
  const prefix = uniqueName('pattern');
  const admin = cluster.admin;
  const a = `${prefix}-a`;
  const expected = [
    ...records(a, 100),
    ...records('', 50, 1000),
    ...Array.from({ length: 30 }, (_, i) => ({ value: `v${2000 + i}` })),
    ...Array.from({ length: 30 }, (_, i) => ({ value: `v${3000 + i}` })),
  ].map((r) => r.value);
  await admin.createTopics({ topics: [a], partitions: 2, replicas: 1 });
  await cluster.produce(records(a, 100));
  const env = new StreamEnvironment().setParallelism(2);
  const out = env
    .fromSource(
      kafkaSource({
        bootstrapServers: brokers,
        topicPattern: new RegExp(`^${prefix}-`),
        partitionDiscoveryIntervalMs: 200,
        map: (r) => ({ value: r.value, topic: r.topic, partition: r.partition }),
      }),
    )
    .collect();
  const control = new JobControl();
  const job = env.execute('kafka-pattern', { control });
  try {
    await waitUntil(() => out.values.length >= 100, 'the records of the first topic', 30_000);
    const b = `${prefix}-b`;
    await admin.createTopics({ topics: [b], partitions: 1, replicas: 1 });
    await cluster.produce(records(b, 50, 1000));
    await cluster.addPartitions(a, 4);
    await cluster.produce([
      ...Array.from({ length: 30 }, (_, i) => ({ topic: a, value: `v${2000 + i}`, partition: 2 })),
      ...Array.from({ length: 30 }, (_, i) => ({ topic: a, value: `v${3000 + i}`, partition: 3 })),
    ]);
    // Every value, not a count: a record read twice must show as a duplicate, not hide one never read.
    const read = new Set<string>();
    await waitUntil(
      () => {
        for (const r of out.values) read.add(r.value);
        return expected.every((v) => read.has(v));
      },
      'the records of the new topic and partitions',
      30_000,
    );
  } finally {
    await control.stopWithSavepoint(`file://${root}/pattern-sp`);
    await job;
    await admin.deleteTopics({ topics: [a, `${prefix}-b`] }).catch(() => {});
  }
  assertOncePerValue(
    out.values.map((r) => r.value),
    expected,
  );
  const added = out.values.filter((r) => /^v[23]\d{3}$/.test(r.value));
  assert.deepEqual(
    added.filter((r) => r.topic !== a || r.partition !== (r.value.startsWith('v2') ? 2 : 3)),
    [],
    'the records written to the added partitions were read from them',
  );
});

test('watermarks are per partition: a window fires only once every partition has passed its end', async () => {
  const topic = await cluster.createTopic('watermarks', 2);
  // Partition 0 runs far ahead in event time; partition 1 lags at 0..2500.
  await cluster.produce([
    ...Array.from({ length: 101 }, (_, i) => ({ topic, value: `a${i}`, partition: 0, timestamp: i * 100 })),
    ...Array.from({ length: 26 }, (_, i) => ({ topic, value: `b${i}`, partition: 1, timestamp: i * 100 })),
  ]);
  const env = new StreamEnvironment().setParallelism(1);
  let read = 0;
  const fired = env
    .fromSource(kafkaSource({ bootstrapServers: brokers, topics: [topic] }), forMonotonousTimestamps())
    .map((v) => {
      read++;
      return v;
    })
    .keyBy(() => 'all')
    .window(TumblingEventTimeWindows.of(1000))
    .process<[number, number]>({
      process(_key, context, elements, out) {
        out.collect([context.window.end, [...elements].length]);
      },
    })
    .collect();
  const control = new JobControl();
  const job = env.execute('kafka-watermarks', { control });
  try {
    await waitUntil(
      () => read >= 127 && fired.values.some(([end]) => end === 2000),
      'window [1000, 2000) to fire',
      30_000,
    );
    // Give a wrong (maximum or per-reader) watermark time to show itself: watermarks go out every 200 ms.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const ends = fired.values.map(([end]) => end);
    assert.ok(Math.max(...ends) <= 2000, `windows past the lagging partition fired: ${ends.join(', ')}`);
    // Partition 1 catches up: the remaining windows fire.
    await cluster.produce(
      Array.from({ length: 80 }, (_, i) => ({ topic, value: `c${i}`, partition: 1, timestamp: 2600 + i * 100 })),
    );
    await waitUntil(() => fired.values.some(([end]) => end === 10_000), 'window [9000, 10000) to fire', 30_000);
  } finally {
    await control.stopWithSavepoint(`file://${root}/watermarks-sp`);
    await job;
  }
  const counts = new Map(fired.values);
  // [0, 1000): ten records of each partition.
  assert.equal(counts.get(1000), 20);
});

const Order = z.object({ id: z.string(), amount: z.number().nonnegative() }).strict();

test('records that are not JSON or break the schema go to the dead-letter side output with the reason; the job goes on', async () => {
  const topic = await cluster.createTopic('poison', 2);
  const good = Array.from({ length: 40 }, (_, i) => ({
    topic,
    key: `k${i}`,
    value: JSON.stringify({ id: `o${i}`, amount: i }),
  }));
  const bad = [
    { topic, key: 'bad-json', value: '{"id": "x", amount' },
    { topic, key: 'bad-schema', value: JSON.stringify({ id: 'y', amount: -5 }) },
    { topic, key: 'bad-field', value: JSON.stringify({ id: 'z', amount: 1, extra: true }) },
  ];
  await cluster.produce([...good.slice(0, 20), ...bad, ...good.slice(20)]);
  const deadLetters = new OutputTag<KafkaDeadLetter>('dead-letters');
  const env = new StreamEnvironment().setParallelism(2);
  const orders = env.fromSource(
    kafkaSource({
      bootstrapServers: brokers,
      topics: [topic],
      bounded: true,
      value: Order,
      deadLetter: { tag: deadLetters },
    }),
  );
  const out = orders.collect();
  const dead = orders.getSideOutput(deadLetters).collect();
  await env.execute('kafka-poison');
  assert.deepEqual(out.values.map((o) => o.id).sort(), good.map((_, i) => `o${i}`).sort());
  const byKey = new Map(dead.values.map((d) => [d.key?.toString(), d]));
  assert.equal(dead.values.length, 3);
  assert.match(byKey.get('bad-json')!.reason, /invalid JSON/);
  assert.match(byKey.get('bad-schema')!.reason, /amount/);
  assert.match(byKey.get('bad-field')!.reason, /extra/);
  for (const d of dead.values) {
    assert.equal(d.topic, topic);
    assert.equal(
      d.value?.toString(),
      bad.find((b) => b.key === d.key?.toString())!.value,
      'the original bytes are kept',
    );
  }
});

test('dead letters sent to a topic carry the original bytes and the reason, topic, partition and offset as headers', async () => {
  const topic = await cluster.createTopic('poison-topic', 1);
  const dlq = await cluster.createTopic('dlq', 1);
  await cluster.produce([
    { topic, key: 'a', value: JSON.stringify({ id: 'a', amount: 1 }) },
    { topic, key: 'b', value: 'not json' },
    { topic, key: 'c', value: JSON.stringify({ id: 'c', amount: 3 }) },
  ]);
  const env = new StreamEnvironment().setParallelism(1);
  const out = env
    .fromSource(
      kafkaSource({
        bootstrapServers: brokers,
        topics: [topic],
        bounded: true,
        value: Order,
        deadLetter: { topic: dlq },
      }),
    )
    .collect();
  await env.execute('kafka-dlq');
  assert.deepEqual(out.values.map((o) => o.id).sort(), ['a', 'c']);
  const letters = await cluster.readCommitted(dlq, 1);
  assert.equal(letters.length, 1);
  const letter = letters[0]!;
  assert.equal(letter.key, 'b');
  assert.equal(letter.value, 'not json');
  assert.match(letter.headers.get('brook.error.reason') ?? '', /invalid JSON/);
  assert.equal(letter.headers.get('brook.error.topic'), topic);
  assert.equal(letter.headers.get('brook.error.partition'), '0');
  assert.equal(letter.headers.get('brook.error.offset'), '1');
});

test('a bad source configuration is refused naming every field', () => {
  assert.throws(
    () =>
      kafkaSource({
        bootstrapServers: 'no-port',
        topics: ['t'],
        topicPattern: /t/,
        startingOffsets: { committed: { reset: 'earliest' } },
      }),
    (error: Error & { code?: string }) =>
      error.code === 'BROOK_KAFKA_CONFIG' &&
      /bootstrapServers/.test(error.message) &&
      /topics: give exactly one of topics and topicPattern/.test(error.message) &&
      /groupId: startingOffsets committed needs a groupId/.test(error.message),
  );
});
