// Scenarios 1 and 9 of the end-to-end issue, on testenv's kube-apiserver with a
// process kubelet: `helm install` the chart (the operator runs as a pod under
// the chart's ServiceAccount and RBAC), `kubectl apply` the recommendation
// example's manifest with testenv's addresses, and the job runs: RUNNING, the
// resource STABLE and Ready, recommendations in Redis and on Kafka equal to an
// independent computation. Then deleting the resource runs the finalizer: the
// job is cancelled and every child is gone.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { KafkaTestCluster } from '../../runtime/connectors/kafka/testing.ts';
import { endpoints, ensureServices, kubectl, succeeded, temporaryBucket } from '../../scripts/testenv/index.ts';
import type { Product, UserProfile } from '../../examples/recommendation/events.ts';
import {
  changingModelInput,
  expectedRecommendations,
  type ModelInput,
} from '../../examples/recommendation/reference-model.test-helper.ts';
import type { Recommendation } from '../../examples/recommendation/scoring.ts';
import { settingsSchema } from '../../examples/recommendation/settings.ts';
import { eventually } from '../cluster/testing.ts';
import {
  localisedManifest,
  operatorServiceAccount,
  repositoryRoot,
  uniqueSuffix,
  useBrookInstall,
} from './brook-install.ts';
import { podsOf, waitForChildrenGone } from './stream-deployment.ts';

const install = useBrookInstall('e2e-install');
const NAME = 'recommendation';
const EVENTS = 1500;
const suffix = uniqueSuffix();
const keyPrefix = `recs-e2e-${suffix}:`;
const manifestFile = join(repositoryRoot, 'examples', 'recommendation', 'streamdeployment.yaml');

let kafka: KafkaTestCluster;
let redis: Redis;
let bucket: Awaited<ReturnType<typeof temporaryBucket>>;
const timings: string[] = [];
const since = (start: number) => `${((Date.now() - start) / 1000).toFixed(1)} s`;

before(async () => {
  await ensureServices('kafka', 'redis', 's3');
  kafka = new KafkaTestCluster([...endpoints.kafka.bootstrapBrokers]);
  redis = new Redis(endpoints.redis.url, { lazyConnect: true });
  await redis.connect();
  bucket = await temporaryBucket('brook-e2e');
});

after(async () => {
  const keys = await redis.keys(`${keyPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await kafka.close();
  await bucket.remove().catch(() => {}); // a savepoint written while the namespace goes is not this test's concern
  console.log(`e2e/scenarios/install: ${timings.join(', ')}`);
});

// The job's settings as the test configures them (smaller windows than the example's hour, for a short input).
const jobSettings = { 'user.window.size': '10m', 'user.window.slide': '2m' };
const settings = settingsSchema.parse({
  window: { size: '10m', slide: '2m' },
  generator: { users: 40, products: 60 },
});

/**
 * The reference model's input, plus one profile per profile partition and one product per product
 * partition far after every event: with them every partition's watermark passes the events, so windows
 * fire on event time alone, never on a partition going idle (which depends on how fast the machine is).
 */
function modelInput(): { input: ModelInput; sentinels: { profiles: UserProfile[]; products: Product[] } } {
  const input = changingModelInput(settings, EVENTS);
  const later = Math.max(...input.events.map((e) => e.timestamp)) + 86_400_000;
  const profiles = [0, 1].map((p): UserProfile => ({
    userId: `sentinel-${p}`,
    ageBand: '25-34',
    segment: 'regular',
    preferredCategories: [],
    updatedAt: later,
  }));
  const products: Product[] = [
    { productId: 'sentinel', category: 'books', brand: 'Sentinel', price: 1, updatedAt: later },
  ];
  return {
    input: { ...input, profiles: [...input.profiles, ...profiles], products: [...input.products, ...products] },
    sentinels: { profiles, products },
  };
}

/** A sorted set's members and scores in one order (Redis lists them by score, the model by rank). */
const canonical = (scores: Map<string, number>) => JSON.stringify([...scores].sort(([a], [b]) => (a < b ? -1 : 1)));

function scoresOf(stored: string[]): Map<string, number> {
  const scores = new Map<string, number>();
  for (let i = 0; i < stored.length; i += 2) scores.set(stored[i]!, Number(stored[i + 1]));
  return scores;
}

test(
  'scenario 1: helm install, kubectl apply the recommendation example: RUNNING, STABLE and Ready, recommendations in Redis and on Kafka as computed independently',
  { timeout: 300_000 },
  async () => {
    const { namespace } = install;
    const operatorPod = await install.pod(install.operatorPod);
    assert.equal(
      operatorPod.spec?.serviceAccountName,
      operatorServiceAccount,
      "the operator runs as the chart's account",
    );

    const topics = {
      behaviour: await kafka.createTopic('e2e-behaviour', 3),
      profiles: await kafka.createTopic('e2e-profiles', 2),
      products: await kafka.createTopic('e2e-products', 1),
      recommendations: await kafka.createTopic('e2e-recommendations', 2),
      deadLetters: await kafka.createTopic('e2e-dead-letters', 1),
    };
    const { input, sentinels } = modelInput();
    const expected = expectedRecommendations(input, settings);
    const json = (topic: string, key: string, value: unknown, partition?: number) => ({
      topic,
      key,
      value: JSON.stringify(value),
      ...(partition !== undefined ? { partition } : {}),
    });
    await kafka.produce([
      ...input.products
        .filter((p) => !sentinels.products.includes(p))
        .map((p) => json(topics.products, p.productId, p)),
      ...sentinels.products.map((p) => json(topics.products, p.productId, p, 0)),
      ...input.profiles.filter((p) => !sentinels.profiles.includes(p)).map((p) => json(topics.profiles, p.userId, p)),
      ...sentinels.profiles.map((p, partition) => json(topics.profiles, p.userId, p, partition)),
      ...input.events.map((e) => json(topics.behaviour, e.userId, e)),
    ]);

    const manifest = localisedManifest(manifestFile, {
      config: {
        'state.checkpoints.dir': `s3://${bucket.name}/recommendation/checkpoints`,
        'state.savepoints.dir': `s3://${bucket.name}/recommendation/savepoints`,
        'execution.checkpointing.interval': '2s',
        's3.endpoint': endpoints.s3.endpoint,
        'kafka.bootstrapServers': endpoints.kafka.bootstrapBrokers.join(','),
        'redis.url': endpoints.redis.url,
        'user.kafka.topics.behaviour': topics.behaviour,
        'user.kafka.topics.profiles': topics.profiles,
        'user.kafka.topics.products': topics.products,
        'user.kafka.groupId': topics.behaviour,
        'user.output.redis.keyPrefix': keyPrefix,
        'user.output.kafka.topic': topics.recommendations,
        'user.output.kafka.transactionalIdPrefix': topics.recommendations,
        'user.output.deadLetters.topic': topics.deadLetters,
      },
      extraConfig: {
        ...jobSettings,
        // Stable after 5 s without a restart instead of a minute: the claim is the same, the wait shorter.
        'kubernetes.operator.deployment.stability.window': '5s',
      },
      secrets: {
        'recommendation-s3': {
          AWS_ACCESS_KEY_ID: endpoints.s3.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: endpoints.s3.credentials.secretAccessKey,
        },
      },
    });
    const applied = Date.now();
    succeeded('kubectl apply', kubectl(['apply', '--namespace', namespace, '-f', '-'], manifest));

    const running = await install.waitForStreamDeployment(
      NAME,
      (sd) => sd.status?.jobStatus?.state === 'RUNNING',
      'the job is RUNNING',
      180_000,
    );
    timings.push(`apply to RUNNING ${since(applied)}`);
    assert.deepEqual(running.metadata.finalizers, ['brook.dev/finalizer']);
    const stable = await install.waitForStreamDeployment(
      NAME,
      (sd) =>
        sd.status?.lifecycleState === 'STABLE' &&
        sd.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true,
      'the resource is STABLE and Ready',
      120_000,
    );
    timings.push(`apply to STABLE ${since(applied)}`);
    assert.equal(stable.status?.observedGeneration, stable.metadata.generation);
    const pods = await install.core.listNamespacedPod({
      namespace,
      labelSelector: `app.kubernetes.io/instance=${NAME}`,
    });
    const components = pods.items.map((p) => p.metadata?.labels?.['app.kubernetes.io/component']).sort();
    assert.deepEqual(components, ['jobmanager', 'taskmanager', 'taskmanager']);

    // Windows ending 5 minutes before the last event have certainly fired (the watermark trails by 5 s).
    const lastEvent = Math.max(...input.events.map((e) => e.timestamp));
    const fired = [...expected.recommendations.values()].filter((r) => r.windowEnd <= lastEvent - 300_000);
    const usersWithFired = new Set(fired.filter((r) => r.items.length > 0).map((r) => r.userId));
    assert.ok(usersWithFired.size >= 30, `the input gives most users recommendations (${usersWithFired.size})`);

    // Redis: every user's sorted set is the recommendation of one of that user's windows.
    await eventually(
      async () => {
        const keys = await redis.keys(`${keyPrefix}*`);
        const problems: string[] = [];
        for (const key of keys) {
          const userId = key.slice(keyPrefix.length);
          const stored = scoresOf(await redis.zrange(key, '0', '-1', 'WITHSCORES'));
          const matches = [...expected.recommendations.values()].some(
            (r) =>
              r.userId === userId &&
              canonical(stored) === canonical(new Map(r.items.map((i) => [i.productId, i.score]))),
          );
          if (!matches) problems.push(`${key} holds ${canonical(stored)}, no window's recommendation`);
        }
        const missing = [...usersWithFired].filter((u) => !keys.includes(`${keyPrefix}${u}`));
        return { problems, missing };
      },
      (r) => r.problems.length === 0 && r.missing.length === 0,
      'every user with fired windows has their recommendation in Redis',
      120_000,
    );
    timings.push(`apply to recommendations in Redis ${since(applied)}`);

    // Kafka: each recommendation once, as computed (the sink commits with the checkpoints).
    const published = await kafka.readCommitted(topics.recommendations, fired.length, 120_000);
    const byKey = new Map<string, Recommendation>();
    for (const record of published) {
      const r = JSON.parse(record.value) as Recommendation;
      const key = `${r.userId}@${r.windowEnd}`;
      assert.ok(!byKey.has(key), `${key} published twice`);
      assert.deepEqual(r, expected.recommendations.get(key), key);
      byKey.set(key, r);
    }
    for (const r of fired) assert.ok(byKey.has(`${r.userId}@${r.windowEnd}`), `${r.userId}@${r.windowEnd} published`);
    timings.push(`${byKey.size} recommendations on Kafka and ${usersWithFired.size} users in Redis checked`);
  },
);

test(
  'scenario 9: deleting the resource runs the finalizer: the job is cancelled, then the resource and every child are gone',
  { timeout: 180_000 },
  async () => {
    const { namespace, kubelet, core } = install;
    const running = await install.streamDeployment(NAME);
    assert.equal(running?.status?.jobStatus?.state, 'RUNNING', 'scenario 1 left the job running');
    const jobManagerPod = (await podsOf(install, NAME, 'jobmanager'))[0]!.metadata!.name!;

    const deleting = Date.now();
    succeeded(
      'kubectl delete',
      kubectl(['delete', 'streamdeployment', NAME, '--namespace', namespace, '--wait=true', '--timeout=150s']),
    );
    timings.push(`delete to resource gone ${since(deleting)}`);
    assert.equal(await install.streamDeployment(NAME), undefined);

    // Cancelled, not just killed: the JobManager saw its job end CANCELED before its pod went.
    const jobManagerLog = kubelet.containerLog(namespace, jobManagerPod, 'jobmanager');
    assert.match(jobManagerLog, /job '.*' ended \(CANCELED\)/, jobManagerLog.split('\n').slice(-20).join('\n'));
    const events = await core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${NAME}` });
    const deletingEvent = events.items.find((e) => e.reason === 'Deleting');
    assert.match(deletingEvent?.message ?? '', /cancelling the job/);

    await waitForChildrenGone(install, NAME);
    timings.push(`delete to children gone ${since(deleting)}`);
  },
);
