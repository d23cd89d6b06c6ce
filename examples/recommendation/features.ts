// Pure feature functions: what a user's behaviour in one window says
// (counts per action, categories touched, items and recency), what a profile
// and a product say, and the merged user feature vector the recommender reads.
import type { AggregateFunction } from 'brook';
import { ACTION_WEIGHT, type Action, type BehaviourEvent, type Product, type UserProfile } from './events.ts';

export type PriceBand = 'low' | 'mid' | 'high';

/** One user's dealings with one product inside a window. */
export interface ItemInteraction {
  /** Sum of the action weights (view 1, cart 3, purchase 5). */
  weight: number;
  /** Time of the latest event. */
  lastAt: number;
  /** Time of the latest purchase, if the user bought it. */
  purchasedAt?: number;
}

/** What a window accumulates for one user; every field is independent of the order events arrive in. */
export interface BehaviourAccumulator {
  counts: Record<Action, number>;
  /** Interaction weight per category. */
  categories: Map<string, number>;
  items: Map<string, ItemInteraction>;
  lastAt: number;
}

/** A user's behaviour features over one sliding window [windowStart, windowEnd). */
export interface BehaviourFeatures {
  userId: string;
  windowStart: number;
  windowEnd: number;
  counts: Record<Action, number>;
  categoryWeights: Map<string, number>;
  items: Map<string, ItemInteraction>;
  lastEventAt: number;
  /** How long before the window's end the user was last seen. */
  recencyMs: number;
}

export interface ProfileFeatures {
  userId: string;
  ageBand: UserProfile['ageBand'];
  segment: UserProfile['segment'];
  /** Sorted, without duplicates. */
  preferredCategories: string[];
  preferredPriceBand: PriceBand;
  updatedAt: number;
}

/** Behaviour and profile of one user at the end of one window: the recommender's input. */
export interface UserFeatureVector {
  userId: string;
  windowStart: number;
  windowEnd: number;
  counts: Record<Action, number>;
  recencyMs: number;
  /** Share of the window's interaction weight per category (the shares sum to 1). */
  categoryAffinity: Map<string, number>;
  items: Map<string, ItemInteraction>;
  /** The profile in force at the window's end, if the user has one. */
  profile: ProfileFeatures | undefined;
}

export interface ProductFeatures {
  productId: string;
  category: string;
  brand: string;
  priceBand: PriceBand;
  updatedAt: number;
}

export function newBehaviourAccumulator(): BehaviourAccumulator {
  return { counts: { view: 0, cart: 0, purchase: 0 }, categories: new Map(), items: new Map(), lastAt: -Infinity };
}

/** Adds one event (mutating and returning `acc`, as an AggregateFunction may). */
export function addBehaviour(acc: BehaviourAccumulator, event: BehaviourEvent): BehaviourAccumulator {
  const weight = ACTION_WEIGHT[event.action];
  acc.counts[event.action]++;
  acc.categories.set(event.category, (acc.categories.get(event.category) ?? 0) + weight);
  const item = acc.items.get(event.productId);
  const purchasedAt = event.action === 'purchase' ? event.timestamp : undefined;
  acc.items.set(event.productId, {
    weight: (item?.weight ?? 0) + weight,
    lastAt: Math.max(item?.lastAt ?? -Infinity, event.timestamp),
    ...latestPurchase(item?.purchasedAt, purchasedAt),
  });
  acc.lastAt = Math.max(acc.lastAt, event.timestamp);
  return acc;
}

function latestPurchase(a: number | undefined, b: number | undefined): { purchasedAt?: number } {
  if (a === undefined && b === undefined) return {};
  return { purchasedAt: Math.max(a ?? -Infinity, b ?? -Infinity) };
}

export function mergeBehaviour(a: BehaviourAccumulator, b: BehaviourAccumulator): BehaviourAccumulator {
  for (const action of Object.keys(b.counts) as Action[]) a.counts[action] += b.counts[action];
  for (const [category, weight] of b.categories) a.categories.set(category, (a.categories.get(category) ?? 0) + weight);
  for (const [id, item] of b.items) {
    const mine = a.items.get(id);
    a.items.set(
      id,
      mine
        ? {
            weight: mine.weight + item.weight,
            lastAt: Math.max(mine.lastAt, item.lastAt),
            ...latestPurchase(mine.purchasedAt, item.purchasedAt),
          }
        : item,
    );
  }
  a.lastAt = Math.max(a.lastAt, b.lastAt);
  return a;
}

/** The incremental aggregation of a user's window (one accumulator per user and window). */
export const behaviourAggregate: AggregateFunction<BehaviourEvent, BehaviourAccumulator, BehaviourAccumulator> = {
  createAccumulator: newBehaviourAccumulator,
  add: (event, acc) => addBehaviour(acc, event),
  getResult: (acc) => acc,
  merge: mergeBehaviour,
};

export function behaviourFeatures(
  userId: string,
  window: { start: number; end: number },
  acc: BehaviourAccumulator,
): BehaviourFeatures {
  return {
    userId,
    windowStart: window.start,
    windowEnd: window.end,
    counts: { ...acc.counts },
    categoryWeights: new Map(acc.categories),
    items: new Map(acc.items),
    lastEventAt: acc.lastAt,
    recencyMs: window.end - acc.lastAt,
  };
}

/** Price bands in the catalogue's currency: under 25, under 100, and above. */
export function priceBand(price: number): PriceBand {
  return price < 25 ? 'low' : price < 100 ? 'mid' : 'high';
}

const SEGMENT_PRICE_BAND: Record<ProfileFeatures['segment'], PriceBand> = {
  budget: 'low',
  regular: 'mid',
  premium: 'high',
};

export function profileFeatures(profile: UserProfile): ProfileFeatures {
  return {
    userId: profile.userId,
    ageBand: profile.ageBand,
    segment: profile.segment,
    preferredCategories: [...new Set(profile.preferredCategories)].sort(),
    preferredPriceBand: SEGMENT_PRICE_BAND[profile.segment],
    updatedAt: profile.updatedAt,
  };
}

export function productFeatures(product: Product): ProductFeatures {
  return {
    productId: product.productId,
    category: product.category,
    brand: product.brand,
    priceBand: priceBand(product.price),
    updatedAt: product.updatedAt,
  };
}

/** Merges a window's behaviour with the profile in force at its end. */
export function userFeatureVector(
  behaviour: BehaviourFeatures,
  profile: ProfileFeatures | undefined,
): UserFeatureVector {
  // Summed in key order, so the shares do not depend on the order events arrived in.
  const categories = [...behaviour.categoryWeights.keys()].sort();
  let total = 0;
  for (const category of categories) total += behaviour.categoryWeights.get(category)!;
  const categoryAffinity = new Map(categories.map((c) => [c, behaviour.categoryWeights.get(c)! / total]));
  return {
    userId: behaviour.userId,
    windowStart: behaviour.windowStart,
    windowEnd: behaviour.windowEnd,
    counts: behaviour.counts,
    recencyMs: behaviour.recencyMs,
    categoryAffinity,
    items: behaviour.items,
    profile,
  };
}
