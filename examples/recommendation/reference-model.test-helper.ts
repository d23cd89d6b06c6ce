// An independent computation of the job's output for the tests, written
// plainly from the raw records (windows regrouped from scratch, similarity by
// brute force), not through the job's accumulators, operators or features.
import { SeededRandom, seedFor } from '../../runtime/connectors/random.ts';
import type { BehaviourEvent, Product, UserProfile } from './events.ts';
import { behaviourEvent, generateWorld } from './generator.ts';
import type { Recommendation } from './scoring.ts';
import type { Settings } from './settings.ts';
import { generatorSettings } from './sources.ts';

export interface ModelInput {
  events: BehaviourEvent[];
  profiles: UserProfile[];
  products: Product[];
}

/** The generator's records 0..count-1 (and its world), computed without the runtime. */
export function generatedModelInput(settings: Settings, count: number): ModelInput {
  const g = generatorSettings(settings);
  const world = generateWorld(g);
  const random = new SeededRandom();
  const events = Array.from({ length: count }, (_, i) =>
    behaviourEvent(world, g, i, random.reset(seedFor(settings.generator.seed, i))),
  );
  return { events, profiles: world.profiles, products: world.products };
}

const WEIGHT = { view: 1, cart: 3, purchase: 5 } as const;
const round = (x: number) => Math.round(x * 1e6) / 1e6;
const band = (price: number) => (price < 25 ? 'low' : price < 100 ? 'mid' : 'high');
const segmentBand = { budget: 'low', regular: 'mid', premium: 'high' } as const;
const compareIds = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The latest version with updatedAt <= time. */
function asOf<V extends { updatedAt: number }>(versions: V[], time: number): V | undefined {
  return versions
    .filter((v) => v.updatedAt <= time)
    .sort((a, b) => a.updatedAt - b.updatedAt)
    .at(-1);
}

interface TableEntry {
  productId: string;
  category: string;
  band: string;
  score: number;
}

/** The catalogue entry of `productId` in force at `time`. */
function productAt(products: Product[], productId: string, time: number): Product | undefined {
  return asOf(
    products.filter((p) => p.productId === productId),
    time,
  );
}

/** The similarity table of the window ending at `end`: item -> its best neighbours. */
function similarityOf(windowEvents: BehaviourEvent[], products: Product[], settings: Settings) {
  const { neighbours, minScore, behaviourWeight } = settings.similarity;
  // Only events whose product was in the catalogue at their time take part.
  const known = windowEvents.filter((e) => productAt(products, e.productId, e.timestamp));
  const ids = [...new Set(known.map((e) => e.productId))].sort(compareIds);
  const userWeights = new Map<string, Map<string, number>>();
  const features = new Map<string, Product>();
  for (const id of ids) {
    const mine = known.filter((e) => e.productId === id);
    const weights = new Map<string, number>();
    for (const e of mine) weights.set(e.userId, (weights.get(e.userId) ?? 0) + WEIGHT[e.action]);
    userWeights.set(id, weights);
    const latest = Math.max(...mine.map((e) => e.timestamp));
    features.set(id, productAt(products, id, latest)!);
  }
  const table = new Map<string, TableEntry[]>();
  for (const a of ids) {
    const list: TableEntry[] = [];
    for (const b of ids) {
      if (a === b) continue;
      const wa = userWeights.get(a)!;
      const wb = userWeights.get(b)!;
      const shareUser = [...wa.keys()].some((u) => wb.has(u));
      const pa = features.get(a)!;
      const pb = features.get(b)!;
      if (!shareUser && pa.category !== pb.category) continue;
      let dot = 0;
      for (const [u, w] of wa) dot += w * (wb.get(u) ?? 0);
      const length = (v: Map<string, number>) => Math.sqrt([...v.values()].reduce((s, w) => s + w * w, 0));
      const cosine = dot === 0 ? 0 : dot / (length(wa) * length(wb));
      const content =
        (pa.category === pb.category ? 0.6 : 0) +
        (pa.brand === pb.brand ? 0.25 : 0) +
        (band(pa.price) === band(pb.price) ? 0.15 : 0);
      const score = round(behaviourWeight * cosine + (1 - behaviourWeight) * content);
      if (score >= minScore && score > 0)
        list.push({ productId: b, category: pb.category, band: band(pb.price), score });
    }
    list.sort((x, y) => y.score - x.score || compareIds(x.productId, y.productId));
    if (list.length > 0) table.set(a, list.slice(0, neighbours));
  }
  return table;
}

export interface ModelOutput {
  /** Every recommendation, keyed `user@windowEnd`. */
  recommendations: Map<string, Recommendation>;
  /** Each user's recommendation of the latest window: what Redis holds at the end. */
  latest: Map<string, Recommendation>;
  /** How often an item was left out because the user had bought it: the exclusion was exercised. */
  exclusions: number;
  /** Events whose product had no catalogue entry at their time. */
  unknownProductEvents: number;
}

/** Every recommendation the job must emit over `input`. */
export function expectedRecommendations(input: ModelInput, settings: Settings): ModelOutput {
  const { size, slide } = settings.window;
  const { top, purchaseExclusion, weights } = settings.recommendations;
  const windows = new Map<number, BehaviourEvent[]>();
  for (const e of input.events) {
    for (let start = e.timestamp - (e.timestamp % slide); start > e.timestamp - size; start -= slide) {
      windows.set(start + size, [...(windows.get(start + size) ?? []), e]);
    }
  }
  const recommendations = new Map<string, Recommendation>();
  const latest = new Map<string, Recommendation>();
  let exclusions = 0;
  for (const end of [...windows.keys()].sort((a, b) => a - b)) {
    const windowEvents = windows.get(end)!;
    const table = similarityOf(windowEvents, input.products, settings);
    const users = [...new Set(windowEvents.map((e) => e.userId))].sort(compareIds);
    for (const userId of users) {
      const mine = windowEvents.filter((e) => e.userId === userId);
      const itemWeight = new Map<string, number>();
      const itemLast = new Map<string, number>();
      const categoryWeight = new Map<string, number>();
      for (const e of mine) {
        itemWeight.set(e.productId, (itemWeight.get(e.productId) ?? 0) + WEIGHT[e.action]);
        itemLast.set(e.productId, Math.max(itemLast.get(e.productId) ?? -Infinity, e.timestamp));
        categoryWeight.set(e.category, (categoryWeight.get(e.category) ?? 0) + WEIGHT[e.action]);
      }
      const totalCategoryWeight = [...categoryWeight.values()].reduce((s, w) => s + w, 0);
      const profile = asOf(
        input.profiles.filter((p) => p.userId === userId),
        end - 1,
      );
      // Everything the user bought before the window's end, latest purchase per product.
      const bought = new Map<string, number>();
      for (const e of input.events) {
        if (e.userId !== userId || e.action !== 'purchase' || e.timestamp >= end) continue;
        bought.set(e.productId, Math.max(bought.get(e.productId) ?? -Infinity, e.timestamp));
      }
      const excluded = new Set([...bought].filter(([, at]) => at >= end - purchaseExclusion).map(([id]) => id));

      let total = 0;
      const sums = new Map<string, { sum: number; entry: TableEntry }>();
      for (const itemId of [...itemWeight.keys()].sort(compareIds)) {
        const recency = 0.5 + (0.5 * (itemLast.get(itemId)! - (end - size))) / size;
        const e = itemWeight.get(itemId)! * recency;
        total += e;
        for (const entry of table.get(itemId) ?? []) {
          if (excluded.has(entry.productId)) {
            exclusions++;
            continue;
          }
          const known = sums.get(entry.productId);
          if (known) known.sum += e * entry.score;
          else sums.set(entry.productId, { sum: e * entry.score, entry });
        }
      }
      const items = [...sums]
        .map(([productId, { sum, entry }]) => ({
          productId,
          score: round(
            sum / total +
              weights.categoryAffinity * ((categoryWeight.get(entry.category) ?? 0) / totalCategoryWeight) +
              (profile?.preferredCategories.includes(entry.category) ? weights.preferredCategory : 0) +
              (profile && segmentBand[profile.segment] === entry.band ? weights.priceBand : 0),
          ),
        }))
        .sort((a, b) => b.score - a.score || compareIds(a.productId, b.productId))
        .slice(0, top);
      const recommendation = { userId, windowStart: end - size, windowEnd: end, items };
      recommendations.set(`${userId}@${end}`, recommendation);
      latest.set(userId, recommendation);
    }
  }
  const unknownProductEvents = input.events.filter((e) => !productAt(input.products, e.productId, e.timestamp)).length;
  return { recommendations, latest, exclusions, unknownProductEvents };
}

/**
 * The generator's input with a catalogue and profiles that change mid-stream:
 * every 4th product's price rises sixfold after 13 minutes, a product appears
 * after 30 minutes (events before that refer to an unknown product), another
 * is never in the catalogue, and every 3rd user's profile changes after 17 minutes.
 */
export function changingModelInput(settings: Settings, count: number): ModelInput {
  const base = generatedModelInput(settings, count);
  const start = settings.generator.startTime;
  const minutes = (m: number) => start + m * 60_000;
  const events = base.events.map((e, i) =>
    i % 53 === 0 ? { ...e, productId: 'p9999' } : i % 61 === 0 ? { ...e, productId: 'p0777', category: 'books' } : e,
  );
  const products: Product[] = [
    ...base.products,
    ...base.products.filter((_, k) => k % 4 === 0).map((p) => ({ ...p, price: p.price * 6, updatedAt: minutes(13) })),
    { productId: 'p0777', category: 'books', brand: 'Inkwell', price: 19.5, updatedAt: minutes(30) },
  ];
  const segments = ['budget', 'regular', 'premium'] as const;
  const profiles: UserProfile[] = [
    ...base.profiles,
    ...base.profiles
      .filter((_, j) => j % 3 === 0)
      .map((p, j) => ({
        ...p,
        segment: segments[(segments.indexOf(p.segment) + 1) % 3]!,
        preferredCategories: [['books', 'toys', 'home'][j % 3]!],
        updatedAt: minutes(17),
      })),
  ];
  return { events, profiles, products };
}
