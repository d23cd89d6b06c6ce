// Pure scoring of one user's candidates: item-based collaborative filtering
// over the window's similarity table, plus the user's category affinity and
// profile preferences; purchased items are left out; the top N are kept.
import type { UserFeatureVector } from './features.ts';
import { round6, type Neighbour } from './similarity.ts';

export interface ScoringSettings {
  /** Recommendations per user. */
  top: number;
  /** Items bought this long before the window's end (or later) are not recommended. */
  purchaseExclusionMs: number;
  weights: {
    /** Times the user's share of interest in the candidate's category. */
    categoryAffinity: number;
    /** Added when the candidate's category is one the profile prefers. */
    preferredCategory: number;
    /** Added when the candidate's price band is the one the profile's segment prefers. */
    priceBand: number;
  };
}

export interface ScoredItem {
  productId: string;
  score: number;
}

/** The top recommendations of one user at the end of one window. */
export interface Recommendation {
  userId: string;
  windowStart: number;
  windowEnd: number;
  items: ScoredItem[];
}

/** Interactions late in the window count fully, those at its start half. */
export function recencyFactor(lastAt: number, windowStart: number, windowEnd: number): number {
  return 0.5 + (0.5 * (lastAt - windowStart)) / (windowEnd - windowStart);
}

/** Products bought at or after `windowEnd - exclusionMs`, from a map of product to latest purchase time. */
export function recentPurchases(
  purchases: Iterable<[string, number]>,
  windowEnd: number,
  exclusionMs: number,
): Set<string> {
  const recent = new Set<string>();
  for (const [productId, at] of purchases) if (at >= windowEnd - exclusionMs && at < windowEnd) recent.add(productId);
  return recent;
}

/**
 * Scores every neighbour of the items the user interacted with:
 * Σᵢ eᵢ·sim(i, j) / Σᵢ eᵢ (eᵢ = item weight × recency) + affinity and profile terms.
 */
export function recommend(
  vector: UserFeatureVector,
  neighboursOf: (productId: string) => readonly Neighbour[] | undefined,
  excluded: ReadonlySet<string>,
  settings: ScoringSettings,
): ScoredItem[] {
  const interacted = [...vector.items.keys()].sort();
  let total = 0;
  const collaborative = new Map<string, { sum: number; neighbour: Neighbour }>();
  for (const productId of interacted) {
    const item = vector.items.get(productId)!;
    const e = item.weight * recencyFactor(item.lastAt, vector.windowStart, vector.windowEnd);
    total += e;
    for (const neighbour of neighboursOf(productId) ?? []) {
      if (excluded.has(neighbour.productId)) continue;
      const known = collaborative.get(neighbour.productId);
      if (known) known.sum += e * neighbour.score;
      else collaborative.set(neighbour.productId, { sum: e * neighbour.score, neighbour });
    }
  }
  const { weights } = settings;
  const profile = vector.profile;
  const scored: ScoredItem[] = [];
  for (const [productId, { sum, neighbour }] of collaborative) {
    const score =
      sum / total +
      weights.categoryAffinity * (vector.categoryAffinity.get(neighbour.category) ?? 0) +
      (profile?.preferredCategories.includes(neighbour.category) ? weights.preferredCategory : 0) +
      (profile?.preferredPriceBand === neighbour.priceBand ? weights.priceBand : 0);
    scored.push({ productId, score: round6(score) });
  }
  scored.sort((a, b) => b.score - a.score || (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0));
  return scored.slice(0, settings.top);
}
