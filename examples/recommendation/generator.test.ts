// The generated input: a pure function of its settings, and shaped like real
// shop traffic (a few heavy users, preferred categories, mostly views).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom, seedFor } from '../../runtime/connectors/random.ts';
import { behaviourEventSchema, productSchema, userProfileSchema } from './events.ts';
import { behaviourEvent, generateWorld, type GeneratorSettings } from './generator.ts';

const settings: GeneratorSettings = {
  seed: 42,
  users: 100,
  products: 80,
  startTime: Date.parse('2024-01-01T00:00:00Z'),
  eventSpacingMs: 1000,
  jitterMs: 2000,
};

function events(s: GeneratorSettings, count: number) {
  const world = generateWorld(s);
  const random = new SeededRandom();
  return Array.from({ length: count }, (_, i) => behaviourEvent(world, s, i, random.reset(seedFor(s.seed, i))));
}

test('the same settings give the same world and events; another seed gives others', () => {
  assert.deepEqual(generateWorld(settings), generateWorld({ ...settings }));
  assert.deepEqual(events(settings, 500), events(settings, 500));
  assert.notDeepEqual(events({ ...settings, seed: 43 }, 500), events(settings, 500));
});

test('every generated record passes the schemas the Kafka sources validate with', () => {
  const world = generateWorld(settings);
  for (const p of world.products) productSchema.parse(p);
  for (const p of world.profiles) userProfileSchema.parse(p);
  for (const e of events(settings, 500)) behaviourEventSchema.parse(e);
});

test('event i happens at start + i * spacing, late by at most the jitter, and refers to a known product and user', () => {
  const world = generateWorld(settings);
  const products = new Map(world.products.map((p) => [p.productId, p]));
  const users = new Set(world.profiles.map((p) => p.userId));
  events(settings, 2000).forEach((e, i) => {
    const due = settings.startTime + i * settings.eventSpacingMs;
    assert.ok(e.timestamp >= due && e.timestamp <= due + settings.jitterMs, `event ${i}`);
    assert.equal(products.get(e.productId)?.category, e.category);
    assert.ok(users.has(e.userId));
  });
});

test('traffic is skewed like a shop: heavy users, preferred categories, mostly views, few purchases', () => {
  const world = generateWorld(settings);
  const sample = events(settings, 5000);
  const perUser = new Map<string, number>();
  for (const e of sample) perUser.set(e.userId, (perUser.get(e.userId) ?? 0) + 1);
  const busiest = [...perUser.values()].sort((a, b) => b - a).slice(0, settings.users / 10);
  assert.ok(
    busiest.reduce((s, n) => s + n, 0) > sample.length * 0.2,
    'the busiest tenth of users make over 20% of events',
  );
  const preferred = new Map(world.profiles.map((p) => [p.userId, p.preferredCategories]));
  const inPreferred = sample.filter((e) => preferred.get(e.userId)!.includes(e.category)).length;
  assert.ok(inPreferred > sample.length * 0.7, `${inPreferred} of ${sample.length} in preferred categories`);
  const share = (action: string) => sample.filter((e) => e.action === action).length / sample.length;
  assert.ok(share('view') > 0.75 && share('purchase') > 0.03 && share('purchase') < 0.1);
});
