// The job as `--env testing` runs it, against testenv's real Kafka and Redis:
// Redis's sorted sets and the Kafka output equal an independent computation,
// and poison records in the input topics become dead letters with reasons.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { applyConfiguration } from '../../runtime/config/apply.ts';
import { loadConfiguration } from '../../runtime/config/loader.ts';
import type { Configuration } from '../../runtime/config/configuration.ts';
import { ProcessCluster } from '../../runtime/testing/process-cluster.ts';
import { KafkaTestCluster } from '../../runtime/connectors/kafka/testing.ts';
import { StreamEnvironment } from '../../runtime/index.ts';
import { endpointEnvironment, endpoints, ensureServices } from '../../scripts/testenv/index.ts';
import build from './job.ts';
import { changingModelInput, expectedRecommendations } from './reference-model.test-helper.ts';
import type { Recommendation } from './scoring.ts';
import { settingsSchema } from './settings.ts';
import type { DeadLetterRecord } from './sinks.ts';

const EVENTS = 1500;
const root = mkdtempSync(join(tmpdir(), 'brook-recommendation-kafka-'));
const keyPrefix = `recs-test-${randomUUID().slice(0, 8)}:`;
let cluster: KafkaTestCluster;
let redis: Redis;

before(async () => {
  await ensureServices('kafka', 'redis');
  cluster = new KafkaTestCluster([...endpoints.kafka.bootstrapBrokers]);
  redis = new Redis(endpoints.redis.url, { lazyConnect: true });
  await redis.connect();
});

after(async () => {
  const keys = await redis.keys(`${keyPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await cluster.close();
  rmSync(root, { recursive: true, force: true });
});

/** Records the sources must refuse: not JSON, and JSON that breaks the schema. */
const poison = {
  behaviour: [
    '{"userId": "u0001", "productId": ',
    JSON.stringify({ userId: 'u0001', productId: 'p0001', category: 'books', action: 'like', timestamp: 1 }),
    JSON.stringify({ userId: 'u0002', productId: 'p0002', category: 'books', action: 'view' }),
  ],
  profiles: ['not json at all'],
  products: [JSON.stringify({ productId: 'p0001', category: 'books', brand: 'Inkwell', price: -3, updatedAt: 0 })],
};

/** Runs the job on the prepared topics with this configuration (the overrides are its --set flags). */
type JobRunner = (config: Configuration, overrides: string[]) => Promise<void>;

const CONFIG = join(import.meta.dirname, 'config.yaml');

/** The whole end-to-end check, whichever way the job runs; `label` keeps the runs' names apart. */
async function endToEnd(label: string, runJob: JobRunner): Promise<void> {
  const topics = {
    behaviour: await cluster.createTopic('behaviour', 3),
    profiles: await cluster.createTopic('profiles', 2),
    products: await cluster.createTopic('products', 1),
    recommendations: await cluster.createTopic('recommendations', 2),
    deadLetters: await cluster.createTopic('dead-letters', 1),
  };
  const overrides = [
    `checkpoints.dir=file://${root}/checkpoints-${label}`,
    'checkpoints.interval=500',
    `user.kafka.topics.behaviour=${topics.behaviour}`,
    `user.kafka.topics.profiles=${topics.profiles}`,
    `user.kafka.topics.products=${topics.products}`,
    `user.kafka.groupId=${topics.behaviour}`,
    'user.kafka.bounded=true',
    `user.output.kafka.topic=${topics.recommendations}`,
    `user.output.kafka.transactionalIdPrefix=${topics.recommendations}`,
    `user.output.deadLetters.topic=${topics.deadLetters}`,
    `user.output.redis.keyPrefix=${keyPrefix}`,
    'user.window.size=10m',
    'user.window.slide=2m',
    'user.generator.users=40',
    'user.generator.products=60',
    'user.progress.interval=0',
  ];
  const config = loadConfiguration({
    file: CONFIG,
    profile: 'testing',
    overrides,
    env: { ...process.env, ...endpointEnvironment(['kafka', 'redis']) },
  });
  const settings = config.userSection(settingsSchema);
  const input = changingModelInput(settings, EVENTS);
  const expected = expectedRecommendations(input, settings);

  // Poison records sit in the middle of each topic: the sources must go on past them.
  const half = <T>(items: T[]) => [items.slice(0, items.length / 2), items.slice(items.length / 2)];
  const records = <T>(topic: string, items: T[], key: (item: T) => string, bad: string[]) => {
    const [first, second] = half(items);
    return [
      ...first!.map((item) => ({ topic, key: key(item), value: JSON.stringify(item) })),
      ...bad.map((value, i) => ({ topic, key: `poison-${i}`, value })),
      ...second!.map((item) => ({ topic, key: key(item), value: JSON.stringify(item) })),
    ];
  };
  await cluster.produce([
    ...records(topics.products, input.products, (p) => p.productId, poison.products),
    ...records(topics.profiles, input.profiles, (p) => p.userId, poison.profiles),
    ...records(topics.behaviour, input.events, (e) => e.userId, poison.behaviour),
  ]);

  await runJob(config, overrides);

  // Redis: each user's sorted set is the latest recommendation, with its scores and a time to live.
  for (const [userId, latest] of expected.latest) {
    const key = `${keyPrefix}${userId}`;
    const stored = await redis.zrange(key, '0', '-1', 'WITHSCORES');
    const scores = new Map<string, number>();
    for (let i = 0; i < stored.length; i += 2) scores.set(stored[i]!, Number(stored[i + 1]));
    assert.deepEqual(scores, new Map(latest.items.map((item) => [item.productId, item.score])), key);
    if (latest.items.length > 0) {
      const ttl = await redis.ttl(key);
      assert.ok(ttl > 0 && ttl <= settings.output.redis.ttl / 1000, `${key} expires in ${ttl} s`);
    }
  }
  const keys = (await redis.keys(`${keyPrefix}*`)).sort();
  const withItems = [...expected.latest.values()].filter((r) => r.items.length > 0);
  assert.deepEqual(keys, withItems.map((r) => `${keyPrefix}${r.userId}`).sort());

  // Kafka: every recommendation exactly once.
  const published = await cluster.readCommitted(topics.recommendations, expected.recommendations.size);
  const byKey = new Map<string, Recommendation>();
  for (const record of published) {
    const r = JSON.parse(record.value) as Recommendation;
    assert.equal(record.key, r.userId);
    const key = `${r.userId}@${r.windowEnd}`;
    assert.ok(!byKey.has(key), `${key} published twice`);
    byKey.set(key, r);
  }
  assert.deepEqual(byKey, expected.recommendations);

  // Dead letters: one per poison record, naming its topic, offset and what was wrong.
  const letters = (await cluster.readCommitted(topics.deadLetters, 5)).map(
    (r) => JSON.parse(r.value) as DeadLetterRecord,
  );
  const reasons = (topic: string) =>
    letters
      .filter((d) => d.topic === topic)
      .map((d) => d.reason)
      .sort();
  assert.equal(letters.length, 5);
  const behaviourReasons = reasons(topics.behaviour);
  assert.equal(behaviourReasons.length, 3);
  assert.match(behaviourReasons.join('\n'), /invalid JSON/);
  assert.match(behaviourReasons.join('\n'), /schema validation failed: action: /);
  assert.match(behaviourReasons.join('\n'), /schema validation failed: timestamp: /);
  assert.match(reasons(topics.profiles)[0]!, /invalid JSON/);
  assert.match(reasons(topics.products)[0]!, /schema validation failed: price: /);
  for (const d of letters) assert.ok(Number.isInteger(d.offset) && d.value !== null);
}

test(
  'from Kafka topics to Redis sorted sets and a Kafka topic, equal to the independent computation; poison records become dead letters with reasons',
  { timeout: 120_000 },
  () =>
    endToEnd('mini-cluster', async (config) => {
      const env = applyConfiguration(new StreamEnvironment(), config);
      build(env, []);
      await env.execute('recommendation-kafka');
    }),
);

test(
  'the same with a JobManager and three TaskManagers as separate processes: the same results',
  { timeout: 180_000 },
  () =>
    endToEnd('processes', async (_config, overrides) => {
      const processes = new ProcessCluster();
      try {
        await processes.startJobManager({
          flags: ['--job', join(import.meta.dirname, 'job.ts'), '--config', CONFIG, '--env', 'testing'],
          settings: [...overrides, 'job.parallelism=3'],
          env: endpointEnvironment(['kafka', 'redis']),
        });
        for (let i = 0; i < 3; i++) processes.startTaskManager();
        const exit = await processes.jobManager.exited;
        assert.equal(exit.code, 0, processes.logs());
      } finally {
        await processes.stop('SIGTERM');
      }
    }),
);
