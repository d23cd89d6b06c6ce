// Pure item similarity over one window of interactions: behaviour cosine
// (items as vectors of user interaction weights) blended with content cosine
// (weighted one-hot category, brand and price band), top neighbours per item.
import type { AggregateFunction } from 'brook';
import type { PriceBand, ProductFeatures } from './features.ts';

/** A behaviour event joined with the product version in force at its time. */
export interface EnrichedInteraction {
  userId: string;
  productId: string;
  /** The action's weight (view 1, cart 3, purchase 5). */
  weight: number;
  timestamp: number;
  product: ProductFeatures;
}

export interface SimilarityAccumulator {
  /** Per product: interaction weight per user. */
  users: Map<string, Map<string, number>>;
  /** Per product: the newest version seen in the window. */
  products: Map<string, ProductFeatures>;
}

export interface Neighbour {
  productId: string;
  category: string;
  priceBand: PriceBand;
  /** Similarity in [0, 1], rounded to 6 decimals. */
  score: number;
}

/** Every item of one window with its most similar items, best first. */
export interface SimilarityTable {
  windowStart: number;
  windowEnd: number;
  neighbours: Map<string, Neighbour[]>;
}

export interface SimilaritySettings {
  /** Neighbours kept per item. */
  neighbours: number;
  /** Pairs less similar than this are not neighbours. */
  minScore: number;
  /** Share of behaviour cosine in the blend; the rest is content cosine. */
  behaviourWeight: number;
}

/** Weights of the content features; a pair's content cosine is the sum over the features it shares. */
export const CONTENT_WEIGHTS = { category: 0.6, brand: 0.25, priceBand: 0.15 } as const;

/** Scores are rounded so that ranking does not depend on floating-point summation order. */
export function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

export function newSimilarityAccumulator(): SimilarityAccumulator {
  return { users: new Map(), products: new Map() };
}

export function addInteraction(acc: SimilarityAccumulator, interaction: EnrichedInteraction): SimilarityAccumulator {
  const { productId, userId, weight, product } = interaction;
  const users = acc.users.get(productId) ?? new Map<string, number>();
  users.set(userId, (users.get(userId) ?? 0) + weight);
  acc.users.set(productId, users);
  keepNewest(acc.products, product);
  return acc;
}

function keepNewest(products: Map<string, ProductFeatures>, product: ProductFeatures): void {
  const known = products.get(product.productId);
  if (!known || product.updatedAt > known.updatedAt) products.set(product.productId, product);
}

export function mergeSimilarity(a: SimilarityAccumulator, b: SimilarityAccumulator): SimilarityAccumulator {
  for (const [productId, users] of b.users) {
    const mine = a.users.get(productId) ?? new Map<string, number>();
    for (const [userId, weight] of users) mine.set(userId, (mine.get(userId) ?? 0) + weight);
    a.users.set(productId, mine);
  }
  for (const product of b.products.values()) keepNewest(a.products, product);
  return a;
}

export const similarityAggregate: AggregateFunction<EnrichedInteraction, SimilarityAccumulator, SimilarityAccumulator> =
  {
    createAccumulator: newSimilarityAccumulator,
    add: (interaction, acc) => addInteraction(acc, interaction),
    getResult: (acc) => acc,
    merge: mergeSimilarity,
  };

/** Cosine of two items' user-weight vectors; weights are integers, so the sums are exact. */
export function behaviourCosine(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): number {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let dot = 0;
  for (const [user, weight] of small) dot += weight * (large.get(user) ?? 0);
  if (dot === 0) return 0;
  return dot / (norm(a) * norm(b));
}

function norm(v: ReadonlyMap<string, number>): number {
  let sum = 0;
  for (const w of v.values()) sum += w * w;
  return Math.sqrt(sum);
}

/** Cosine of weighted one-hot (category, brand, price band) vectors: the weights of what the two share. */
export function contentCosine(a: ProductFeatures, b: ProductFeatures): number {
  return (
    (a.category === b.category ? CONTENT_WEIGHTS.category : 0) +
    (a.brand === b.brand ? CONTENT_WEIGHTS.brand : 0) +
    (a.priceBand === b.priceBand ? CONTENT_WEIGHTS.priceBand : 0)
  );
}

/** Pairs worth scoring: items one user touched together, and items of one category. */
function candidatePairs(acc: SimilarityAccumulator): [string, string][] {
  const groups = new Map<string, string[]>();
  const join = (group: string, productId: string) => {
    const members = groups.get(group);
    if (members) members.push(productId);
    else groups.set(group, [productId]);
  };
  for (const [productId, users] of acc.users) {
    for (const userId of users.keys()) join(`user:${userId}`, productId);
    join(`category:${acc.products.get(productId)!.category}`, productId);
  }
  const pairs = new Map<string, [string, string]>();
  for (const members of groups.values()) {
    members.sort();
    for (let i = 0; i < members.length; i++) {
      for (let j = i + 1; j < members.length; j++)
        pairs.set(`${members[i]}\n${members[j]}`, [members[i]!, members[j]!]);
    }
  }
  return [...pairs.values()];
}

function byScoreThenId(a: { productId: string; score: number }, b: { productId: string; score: number }): number {
  return b.score - a.score || (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0);
}

/** The window's similarity table: for every item, its `settings.neighbours` most similar items. */
export function similarityTable(
  window: { start: number; end: number },
  acc: SimilarityAccumulator,
  settings: SimilaritySettings,
): SimilarityTable {
  const lists = new Map<string, Neighbour[]>();
  const add = (from: string, to: ProductFeatures, score: number) => {
    const neighbour = { productId: to.productId, category: to.category, priceBand: to.priceBand, score };
    const list = lists.get(from);
    if (list) list.push(neighbour);
    else lists.set(from, [neighbour]);
  };
  const α = settings.behaviourWeight;
  for (const [a, b] of candidatePairs(acc)) {
    const pa = acc.products.get(a)!;
    const pb = acc.products.get(b)!;
    const score = round6(α * behaviourCosine(acc.users.get(a)!, acc.users.get(b)!) + (1 - α) * contentCosine(pa, pb));
    if (score < settings.minScore || score === 0) continue;
    add(a, pb, score);
    add(b, pa, score);
  }
  const neighbours = new Map<string, Neighbour[]>();
  for (const id of [...lists.keys()].sort()) {
    neighbours.set(id, lists.get(id)!.sort(byScoreThenId).slice(0, settings.neighbours));
  }
  return { windowStart: window.start, windowEnd: window.end, neighbours };
}
