// The recommendation pipeline on the mini-cluster over a small generated input:
// every recommendation (each user at the end of each window) equals an
// independent computation over the same records, at parallelism 1 and 3.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { forBoundedOutOfOrderness, StreamEnvironment, type DataStream } from '../../runtime/index.ts';
import { recommendationPipeline } from './pipeline.ts';
import { Progress } from './progress.ts';
import { changingModelInput, expectedRecommendations, generatedModelInput } from './reference-model.test-helper.ts';
import type { Recommendation } from './scoring.ts';
import { settingsSchema } from './settings.ts';
import { generatedInputs } from './sources.ts';

const EVENTS = 2400;
const settings = settingsSchema.parse({
  generator: {
    seed: 7,
    users: 40,
    products: 60,
    events: EVENTS,
    recordsPerSecond: 0,
    eventSpacing: '1s',
    jitter: '2s',
  },
  window: { size: '10m', slide: '2m' },
  watermark: { outOfOrderness: '5s' },
  output: { stdout: false },
  progress: { interval: 0 },
});
const expected = expectedRecommendations(generatedModelInput(settings, EVENTS), settings);
const root = mkdtempSync(join(tmpdir(), 'brook-recommendation-job-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function run(parallelism: number) {
  const env = new StreamEnvironment().setParallelism(parallelism);
  // Checkpoints while it runs: state snapshots must not disturb the results.
  env.enableCheckpointing(100).setCheckpointStorage(`file://${root}/p${parallelism}`);
  const outputs = recommendationPipeline(generatedInputs(env, settings, new Progress({ intervalMs: 0 })), settings);
  const recommendations = outputs.recommendations.collect();
  const late = outputs.lateEvents.collect();
  const unknown = outputs.unknownProducts.collect();
  await env.execute(`recommendation-p${parallelism}`);
  return { recommendations: recommendations.values, late: late.values, unknown: unknown.values };
}

function byUserAndWindow(recommendations: Recommendation[]): Map<string, Recommendation> {
  const result = new Map<string, Recommendation>();
  for (const r of recommendations) {
    const key = `${r.userId}@${r.windowEnd}`;
    assert.ok(!result.has(key), `two recommendations for ${key}`);
    result.set(key, r);
  }
  return result;
}

function latestPerUser(recommendations: Recommendation[]): Map<string, Recommendation> {
  const latest = new Map<string, Recommendation>();
  for (const r of recommendations) if ((latest.get(r.userId)?.windowEnd ?? -1) < r.windowEnd) latest.set(r.userId, r);
  return latest;
}

test('the independent computation is not trivial: many users and windows, full top-10 lists, purchases left out', () => {
  const all = [...expected.recommendations.values()];
  assert.ok(all.length > 400, `${all.length} recommendations`);
  assert.ok(expected.latest.size >= 30, `${expected.latest.size} users`);
  assert.ok(all.filter((r) => r.items.length === settings.recommendations.top).length > all.length / 2);
  assert.ok(expected.exclusions > 0, 'no purchased item was ever a candidate');
});

const results = new Map<number, Map<string, Recommendation>>();

for (const parallelism of [1, 3]) {
  test(`at parallelism ${parallelism}, every user's top 10 at the end of every window equals the independent computation`, async () => {
    const { recommendations, late, unknown } = await run(parallelism);
    assert.equal(late.length, 0, 'no event is later than the watermark allows');
    assert.equal(unknown.length, 0, 'every product is in the catalogue');
    const actual = byUserAndWindow(recommendations);
    const missing = [...expected.recommendations.keys()].filter((k) => !actual.has(k));
    const extra = [...actual.keys()].filter((k) => !expected.recommendations.has(k));
    assert.deepEqual({ missing: missing.slice(0, 5), extra: extra.slice(0, 5) }, { missing: [], extra: [] });
    for (const [key, want] of expected.recommendations) assert.deepEqual(actual.get(key), want, key);
    results.set(parallelism, latestPerUser(recommendations));
  });
}

test('parallelism 1 and 3 leave every user with the same top 10', () => {
  assert.ok(results.has(1) && results.has(3), 'both runs completed');
  assert.deepEqual(results.get(3), results.get(1));
  assert.deepEqual(results.get(1), expected.latest);
});

test('profiles and products that change mid-stream and arrive slowly are joined as of each event and window; unknown products go to a side output', async () => {
  const input = changingModelInput(settings, EVENTS);
  const want = expectedRecommendations(input, settings);
  assert.ok(want.unknownProductEvents > 40, `${want.unknownProductEvents} events of unknown products`);
  const env = new StreamEnvironment().setParallelism(2);
  const oo = settings.watermark.outOfOrderness;
  // Profiles and products trickle in while behaviour races ahead: the joins must wait for their event time.
  const from = <T>(items: T[], timestampOf: (value: T) => number, recordsPerSecond?: number): DataStream<T> =>
    env.fromGenerator(
      { count: items.length, recordsPerSecond, generate: (i) => items[i]! },
      forBoundedOutOfOrderness<T>(oo).withTimestampAssigner((v) => timestampOf(v)),
    );
  const outputs = recommendationPipeline(
    {
      behaviour: from(input.events, (e) => e.timestamp),
      profiles: from(input.profiles, (p) => p.updatedAt, 150),
      products: from(input.products, (p) => p.updatedAt, 150),
    },
    settings,
  );
  const recommendations = outputs.recommendations.collect();
  const unknown = outputs.unknownProducts.collect();
  await env.execute('recommendation-changing-catalogue');
  assert.equal(unknown.values.length, want.unknownProductEvents);
  const actual = byUserAndWindow(recommendations.values);
  assert.deepEqual([...actual.keys()].sort(), [...want.recommendations.keys()].sort());
  for (const [key, expectedRecommendation] of want.recommendations)
    assert.deepEqual(actual.get(key), expectedRecommendation, key);
});
