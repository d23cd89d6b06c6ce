// The feature functions against counts and shares computed plainly from the
// events, whatever order the events come in.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BehaviourEvent } from './events.ts';
import {
  addBehaviour,
  behaviourFeatures,
  mergeBehaviour,
  newBehaviourAccumulator,
  priceBand,
  productFeatures,
  profileFeatures,
  userFeatureVector,
} from './features.ts';

const at = (minute: number) => 1_704_067_200_000 + minute * 60_000;
const event = (productId: string, category: string, action: BehaviourEvent['action'], minute: number) => ({
  userId: 'u1',
  productId,
  category,
  action,
  timestamp: at(minute),
});

const events: BehaviourEvent[] = [
  event('p1', 'books', 'view', 1),
  event('p1', 'books', 'cart', 4),
  event('p2', 'toys', 'view', 2),
  event('p1', 'books', 'purchase', 9),
  event('p3', 'books', 'view', 7),
  event('p2', 'toys', 'purchase', 3),
  event('p2', 'toys', 'view', 8),
];

function accumulate(list: BehaviourEvent[]) {
  return list.reduce(addBehaviour, newBehaviourAccumulator());
}

test('window features count actions, weigh items and categories (view 1, cart 3, purchase 5) and measure recency', () => {
  const window = { start: at(0), end: at(10) };
  const f = behaviourFeatures('u1', window, accumulate(events));
  assert.deepEqual(f.counts, { view: 4, cart: 1, purchase: 2 });
  assert.deepEqual([...f.items].sort(), [
    ['p1', { weight: 1 + 3 + 5, lastAt: at(9), purchasedAt: at(9) }],
    ['p2', { weight: 1 + 5 + 1, lastAt: at(8), purchasedAt: at(3) }],
    ['p3', { weight: 1, lastAt: at(7) }],
  ]);
  assert.deepEqual([...f.categoryWeights].sort(), [
    ['books', 10],
    ['toys', 7],
  ]);
  assert.equal(f.lastEventAt, at(9));
  assert.equal(f.recencyMs, 60_000);
  assert.deepEqual([f.windowStart, f.windowEnd, f.userId], [window.start, window.end, 'u1']);
});

test('the accumulator does not depend on the order events arrive in, nor on how partial results are merged', () => {
  const window = { start: at(0), end: at(10) };
  const sorted = behaviourFeatures('u1', window, accumulate(events));
  const reversed = behaviourFeatures('u1', window, accumulate([...events].reverse()));
  const merged = behaviourFeatures(
    'u1',
    window,
    mergeBehaviour(accumulate(events.slice(0, 3)), accumulate(events.slice(3))),
  );
  for (const other of [reversed, merged]) {
    assert.deepEqual(other.counts, sorted.counts);
    assert.deepEqual(new Map([...other.items].sort()), new Map([...sorted.items].sort()));
    assert.deepEqual(new Map([...other.categoryWeights].sort()), new Map([...sorted.categoryWeights].sort()));
    assert.equal(other.lastEventAt, sorted.lastEventAt);
  }
});

test('the user feature vector holds each category share of the interaction weight, and the profile given', () => {
  const f = behaviourFeatures('u1', { start: at(0), end: at(10) }, accumulate(events));
  const profile = profileFeatures({
    userId: 'u1',
    ageBand: '25-34',
    segment: 'premium',
    preferredCategories: ['toys', 'books', 'toys'],
    updatedAt: at(0),
  });
  const v = userFeatureVector(f, profile);
  assert.equal(v.categoryAffinity.get('books'), 10 / 17);
  assert.equal(v.categoryAffinity.get('toys'), 7 / 17);
  assert.equal(v.profile, profile);
  assert.deepEqual(profile.preferredCategories, ['books', 'toys']);
  assert.equal(profile.preferredPriceBand, 'high');
  assert.equal(userFeatureVector(f, undefined).profile, undefined);
});

test('price bands split at 25 and 100; product features carry category, brand and band', () => {
  assert.deepEqual([0.5, 24.99, 25, 99.99, 100, 5000].map(priceBand), ['low', 'low', 'mid', 'mid', 'high', 'high']);
  assert.deepEqual(productFeatures({ productId: 'p1', category: 'books', brand: 'Inkwell', price: 30, updatedAt: 5 }), {
    productId: 'p1',
    category: 'books',
    brand: 'Inkwell',
    priceBand: 'mid',
    updatedAt: 5,
  });
  const bands = (['budget', 'regular', 'premium'] as const).map(
    (segment) =>
      profileFeatures({ userId: 'u', ageBand: '55+', segment, preferredCategories: [], updatedAt: 0 })
        .preferredPriceBand,
  );
  assert.deepEqual(bands, ['low', 'mid', 'high']);
});
