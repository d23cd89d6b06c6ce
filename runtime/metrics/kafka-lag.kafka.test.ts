// Consumer lag of the Kafka source against a real broker: per partition, the
// records between the reader's position and the partition's end, as
// `brook_source_pending_records{split="<topic>-<partition>"}`. Checked against
// what the test produced: lag plus what the source emitted is what was produced.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { endpoints, ensureServices } from '../../scripts/testenv/index.ts';
import { kafkaSource } from '../connectors/kafka/kafka-source.ts';
import { KafkaTestCluster } from '../connectors/kafka/testing.ts';
import { StreamEnvironment } from '../index.ts';
import { parsePrometheusText, type Scrape } from '../testing/prometheus-text.ts';
import { waitUntil } from '../testing/wait-until.ts';
import { MetricsRegistry } from './registry.ts';

const brokers = [...endpoints.kafka.bootstrapBrokers];
let cluster: KafkaTestCluster;

before(async () => {
  await ensureServices('kafka');
  cluster = new KafkaTestCluster(brokers);
});
after(async () => {
  await cluster.close();
});

test('pending records per partition: produced minus emitted while the job is held, zero once it caught up', async () => {
  const topic = await cluster.createTopic('lag', 2);
  const produced = [3000, 2000];
  await cluster.produce(
    produced.flatMap((count, partition) =>
      Array.from({ length: count }, (_, i) => ({ topic, partition, value: `p${partition}-${i}` })),
    ),
  );
  const registry = new MetricsRegistry();
  const env = new StreamEnvironment();
  let received = 0;
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  env
    .fromSource(kafkaSource({ bootstrapServers: brokers, topics: [topic], maxBufferedRecords: 1000 }), undefined, 'Lag')
    .uid('kafka')
    // Chained to the source: while a write is pending the task reads nothing more.
    .sinkTo({ createWriter: () => ({ write: () => (++received === 50 ? held : undefined) }) })
    .uid('held');
  const abort = new AbortController();
  const run = env.execute('kafka-lag', { metrics: registry, signal: abort.signal }).catch(() => {});
  const scrape = async () => parsePrometheusText(await registry.metrics());
  const pending = (s: Scrape, partition: number) =>
    s.value('brook_source_pending_records', { operator_uid: 'kafka', split: `${topic}-${partition}` });
  const emitted = (s: Scrape) => s.value('brook_operator_records_out_total', { operator_uid: 'kafka' });
  try {
    await waitUntil(() => received >= 50, 'the sink is held', 20_000);
    // Both partitions fetched (their end offsets known) and the task stopped at the held write.
    let s = await scrape();
    for (let tries = 0; s.find('brook_source_pending_records').length < 2 && tries < 200; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      s = await scrape();
    }
    const total = produced[0]! + produced[1]!;
    assert.ok(emitted(s) < total, `held before the end: emitted ${emitted(s)}`);
    assert.equal(pending(s, 0) + pending(s, 1), total - emitted(s), 'lag = produced - emitted');
    for (const partition of [0, 1]) assert.ok(pending(s, partition) <= produced[partition]!);

    release();
    await waitUntil(() => received === total, 'every record reached the sink', 20_000);
    await cluster.produce(Array.from({ length: 70 }, (_, i) => ({ topic, partition: 1, value: `more-${i}` })));
    await waitUntil(() => received === total + 70, 'the new records reached the sink', 20_000);
    s = await scrape();
    for (let tries = 0; pending(s, 1) !== 0 && tries < 100; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      s = await scrape();
    }
    assert.deepEqual([pending(s, 0), pending(s, 1)], [0, 0]);
    assert.equal(emitted(s), total + 70);
    // Every record the source emitted was fetched first (nothing aborted here), in at least one Fetch per partition.
    const source = { operator_uid: 'kafka' };
    assert.equal(s.value('brook_source_fetched_records_total', source), total + 70);
    const fetches = s.value('brook_source_fetch_requests_total', source);
    assert.ok(fetches >= 2 && fetches <= total + 70, `${fetches} Fetch requests`);
  } finally {
    release();
    abort.abort();
    await run;
  }
});
