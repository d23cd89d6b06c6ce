// Item similarity against cosines computed from explicit vectors, and the
// table's neighbours against a brute force over every pair.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProductFeatures } from './features.ts';
import {
  addInteraction,
  behaviourCosine,
  contentCosine,
  mergeSimilarity,
  newSimilarityAccumulator,
  similarityTable,
  type EnrichedInteraction,
} from './similarity.ts';

/** Cosine of two dense vectors, plainly. */
function cosine(a: number[], b: number[]): number {
  const dot = a.reduce((s, x, i) => s + x * b[i]!, 0);
  const length = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return dot / (length(a) * length(b));
}

const product = (productId: string, category: string, brand: string, priceBand: ProductFeatures['priceBand']) => ({
  productId,
  category,
  brand,
  priceBand,
  updatedAt: 0,
});

test('behaviour cosine equals the cosine of the items as dense vectors over users', () => {
  const a = new Map([
    ['u1', 1],
    ['u2', 3],
  ]);
  const b = new Map([
    ['u2', 5],
    ['u3', 1],
  ]);
  // Users u1, u2, u3 as dimensions.
  assert.ok(Math.abs(behaviourCosine(a, b) - cosine([1, 3, 0], [0, 5, 1])) < 1e-12);
  assert.equal(behaviourCosine(a, new Map([['u9', 4]])), 0);
  assert.ok(Math.abs(behaviourCosine(a, a) - 1) < 1e-12);
});

test('content cosine equals the cosine of one-hot category, brand and price band vectors scaled by the square roots of their weights', () => {
  const categories = ['books', 'toys'];
  const brands = ['A', 'B'];
  const bands = ['low', 'mid', 'high'];
  const vector = (p: ProductFeatures) => [
    ...categories.map((c) => (p.category === c ? Math.sqrt(0.6) : 0)),
    ...brands.map((b) => (p.brand === b ? Math.sqrt(0.25) : 0)),
    ...bands.map((b) => (p.priceBand === b ? Math.sqrt(0.15) : 0)),
  ];
  const all = [
    product('p1', 'books', 'A', 'low'),
    product('p2', 'books', 'B', 'low'),
    product('p3', 'toys', 'A', 'mid'),
    product('p4', 'books', 'A', 'low'),
  ];
  for (const x of all) {
    for (const y of all)
      assert.ok(Math.abs(contentCosine(x, y) - cosine(vector(x), vector(y))) < 1e-12, `${x.productId}/${y.productId}`);
  }
});

const catalogue = [
  product('p1', 'books', 'A', 'low'),
  product('p2', 'books', 'B', 'mid'),
  product('p3', 'toys', 'C', 'low'),
  product('p4', 'toys', 'C', 'high'),
  product('p5', 'home', 'D', 'mid'),
  product('p6', 'home', 'E', 'low'),
];
const interactions: EnrichedInteraction[] = [
  ['u1', 'p1', 1],
  ['u1', 'p2', 3],
  ['u1', 'p3', 1],
  ['u2', 'p1', 5],
  ['u2', 'p3', 1],
  ['u2', 'p4', 1],
  ['u3', 'p4', 3],
  ['u3', 'p5', 1],
  ['u1', 'p1', 1],
  ['u4', 'p6', 1],
].map(([userId, productId, weight]) => ({
  userId: userId as string,
  productId: productId as string,
  weight: weight as number,
  timestamp: 0,
  product: catalogue.find((p) => p.productId === productId)!,
}));

test('the table lists, per item, the pairs sharing a user or a category with their blended score, best first, cut at minScore and the neighbour count', () => {
  const settings = { neighbours: 2, minScore: 0.2, behaviourWeight: 0.7 };
  const acc = interactions.reduce(addInteraction, newSimilarityAccumulator());
  const table = similarityTable({ start: 0, end: 10 }, acc, settings);
  // Brute force: every ordered pair, users as dense dimensions.
  const users = ['u1', 'u2', 'u3', 'u4'];
  const weightOf = (p: string, u: string) =>
    interactions.filter((i) => i.productId === p && i.userId === u).reduce((s, i) => s + i.weight, 0);
  for (const a of catalogue) {
    const expected = catalogue
      .filter((b) => b !== a)
      .filter(
        (b) =>
          users.some((u) => weightOf(a.productId, u) > 0 && weightOf(b.productId, u) > 0) || a.category === b.category,
      )
      .map((b) => {
        const va = users.map((u) => weightOf(a.productId, u));
        const vb = users.map((u) => weightOf(b.productId, u));
        const cf = va.some((x, i) => x * vb[i]! > 0) ? cosine(va, vb) : 0;
        return { productId: b.productId, score: Math.round((0.7 * cf + 0.3 * contentCosine(a, b)) * 1e6) / 1e6 };
      })
      .filter((n) => n.score >= 0.2)
      .sort((x, y) => y.score - x.score || x.productId.localeCompare(y.productId))
      .slice(0, 2);
    const actual = (table.neighbours.get(a.productId) ?? []).map((n) => ({ productId: n.productId, score: n.score }));
    assert.deepEqual(actual, expected, a.productId);
  }
  // p6 shares neither a user nor a category with anyone.
  assert.equal(table.neighbours.has('p6'), false);
  assert.deepEqual(table.neighbours.get('p1')![0], {
    productId: 'p3',
    category: 'toys',
    priceBand: 'low',
    score: table.neighbours.get('p1')![0]!.score,
  });
});

test('the table does not depend on the order interactions arrive in, nor on merging partial accumulators', () => {
  const settings = { neighbours: 5, minScore: 0, behaviourWeight: 0.5 };
  const forward = similarityTable(
    { start: 0, end: 1 },
    interactions.reduce(addInteraction, newSimilarityAccumulator()),
    settings,
  );
  const backward = similarityTable(
    { start: 0, end: 1 },
    [...interactions].reverse().reduce(addInteraction, newSimilarityAccumulator()),
    settings,
  );
  const merged = similarityTable(
    { start: 0, end: 1 },
    mergeSimilarity(
      interactions.slice(0, 4).reduce(addInteraction, newSimilarityAccumulator()),
      interactions.slice(4).reduce(addInteraction, newSimilarityAccumulator()),
    ),
    settings,
  );
  assert.deepEqual(backward, forward);
  assert.deepEqual(merged, forward);
});

test('an item carries the newest product version seen in the window', () => {
  const old = product('p1', 'books', 'A', 'low');
  const updated = { ...old, priceBand: 'high' as const, updatedAt: 5 };
  const acc = newSimilarityAccumulator();
  addInteraction(acc, { userId: 'u1', productId: 'p1', weight: 1, timestamp: 6, product: updated });
  addInteraction(acc, { userId: 'u2', productId: 'p1', weight: 1, timestamp: 2, product: old });
  assert.equal(acc.products.get('p1'), updated);
});
