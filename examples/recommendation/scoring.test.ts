// Candidate scoring against a small case worked out by hand, purchase
// exclusion, and the cut to the top N.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ItemInteraction, UserFeatureVector } from './features.ts';
import { recencyFactor, recentPurchases, recommend, type ScoringSettings } from './scoring.ts';
import type { Neighbour } from './similarity.ts';

const settings: ScoringSettings = {
  top: 3,
  purchaseExclusionMs: 100,
  weights: { categoryAffinity: 0.3, preferredCategory: 0.1, priceBand: 0.05 },
};

function vector(items: Record<string, ItemInteraction>, profile?: UserFeatureVector['profile']): UserFeatureVector {
  return {
    userId: 'u1',
    windowStart: 0,
    windowEnd: 1000,
    counts: { view: 0, cart: 0, purchase: 0 },
    recencyMs: 0,
    categoryAffinity: new Map([
      ['books', 0.75],
      ['toys', 0.25],
    ]),
    items: new Map(Object.entries(items)),
    profile,
  };
}

const n = (productId: string, category: string, priceBand: Neighbour['priceBand'], score: number): Neighbour => ({
  productId,
  category,
  priceBand,
  score,
});

const table = new Map<string, Neighbour[]>([
  ['a', [n('x', 'books', 'low', 0.8), n('y', 'toys', 'high', 0.4)]],
  ['b', [n('x', 'books', 'low', 0.2), n('z', 'home', 'mid', 0.9)]],
]);

test('recency weighs an interaction at the window start half, at its end fully', () => {
  assert.equal(recencyFactor(0, 0, 1000), 0.5);
  assert.equal(recencyFactor(1000, 0, 1000), 1);
  assert.equal(recencyFactor(500, 0, 1000), 0.75);
});

test('a candidate scores the recency-weighted average of its similarities plus category affinity and profile terms', () => {
  const v = vector(
    { a: { weight: 2, lastAt: 1000 }, b: { weight: 4, lastAt: 0 } },
    {
      userId: 'u1',
      ageBand: '25-34',
      segment: 'budget',
      preferredCategories: ['home'],
      preferredPriceBand: 'low',
      updatedAt: 0,
    },
  );
  // e(a) = 2 * 1 = 2, e(b) = 4 * 0.5 = 2, total 4.
  const expected = [
    { productId: 'x', score: (2 * 0.8 + 2 * 0.2) / 4 + 0.3 * 0.75 + 0.05 }, // books, low band
    { productId: 'z', score: (2 * 0.9) / 4 + 0 + 0.1 }, // home: preferred
    { productId: 'y', score: (2 * 0.4) / 4 + 0.3 * 0.25 }, // toys
  ].map((i) => ({ productId: i.productId, score: Math.round(i.score * 1e6) / 1e6 }));
  assert.deepEqual(
    recommend(v, (id) => table.get(id), new Set(), settings),
    expected.sort((p, q) => q.score - p.score),
  );
});

test('purchased items are left out, and only the top N are kept, ties by product id', () => {
  const v = vector({ a: { weight: 1, lastAt: 1000 } });
  assert.deepEqual(
    recommend(v, (id) => table.get(id), new Set(['x']), settings).map((i) => i.productId),
    ['y'],
  );
  const tied = new Map([['a', ['d', 'c', 'e', 'b'].map((id) => n(id, 'garden', 'mid', 0.5))]]);
  assert.deepEqual(
    recommend(v, (id) => tied.get(id), new Set(), settings).map((i) => i.productId),
    ['b', 'c', 'd'],
  );
  assert.deepEqual(
    recommend(v, () => undefined, new Set(), settings),
    [],
  );
});

test('recent purchases are those within the exclusion period before the window end', () => {
  const purchases: [string, number][] = [
    ['old', 899],
    ['edge', 900],
    ['recent', 999],
    ['future', 1000],
  ];
  assert.deepEqual([...recentPurchases(purchases, 1000, 100)].sort(), ['edge', 'recent']);
});
