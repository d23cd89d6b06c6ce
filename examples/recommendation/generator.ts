// Seeded, realistic input for the embedded run and the tests: a catalogue of
// products in categories with brands and prices, users with profiles and
// preferred categories, and behaviour event i as a pure function of (i, random).
import type { BehaviourEvent, Product, UserProfile } from './events.ts';
import { AGE_BANDS, SEGMENTS } from './events.ts';

/** What the generated world and behaviour depend on; the same settings give the same records. */
export interface GeneratorSettings {
  seed: number;
  users: number;
  products: number;
  /** Event time of the first event and of every profile and product, epoch ms. */
  startTime: number;
  /** Event time between consecutive behaviour events. */
  eventSpacingMs: number;
  /** Events are late by up to this much (out of order); keep it within the watermark's out-of-orderness. */
  jitterMs: number;
}

/** The random numbers a generator needs; the runtime's SeededRandom (given per record) has this shape. */
export interface Random {
  next(): number;
  int(min: number, maxExclusive: number): number;
  pick<T>(items: readonly T[]): T;
}

const CATALOGUE: Record<string, { brands: string[]; price: [number, number] }> = {
  electronics: { brands: ['Voltix', 'Nordtek', 'Auralis', 'Pixelon'], price: [15, 900] },
  books: { brands: ['Penrose Press', 'Inkwell', 'Lanterne'], price: [6, 45] },
  fashion: { brands: ['Maison Ardent', 'Threadline', 'Urbanic', 'Sola'], price: [12, 250] },
  home: { brands: ['Hearthly', 'Casa Mira', 'Nook & Oak'], price: [8, 400] },
  sports: { brands: ['Stridemax', 'Peakform', 'Aquilo'], price: [10, 300] },
  beauty: { brands: ['Lumiere', 'Verdant', 'Glowhaus'], price: [5, 120] },
  toys: { brands: ['Brickwise', 'Tumble', 'Starling'], price: [5, 150] },
  grocery: { brands: ['Fieldfare', 'Good Harvest', 'Pantry Co'], price: [2, 40] },
};

export const CATEGORIES = Object.keys(CATALOGUE);

/** Users and products, fixed by the settings; behaviour events refer to them. */
export interface World {
  products: Product[];
  profiles: UserProfile[];
  productsByCategory: Map<string, Product[]>;
}

const pad = (n: number) => String(n).padStart(4, '0');

/** A small seeded generator (mulberry32) for the world itself; records get the runtime's per-record one. */
export function seededRandom(seed: number): Random {
  let state = seed | 0;
  const next = () => {
    let t = (state = (state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, maxExclusive) => min + Math.floor(next() * (maxExclusive - min)),
    pick: (items) => items[Math.floor(next() * items.length)]!,
  };
}

function product(index: number, random: Random, startTime: number): Product {
  const category = CATEGORIES[index % CATEGORIES.length]!;
  const { brands, price } = CATALOGUE[category]!;
  const [low, high] = price;
  return {
    productId: `p${pad(index)}`,
    category,
    brand: random.pick(brands),
    // Log-uniform: most products are cheap, a few are expensive.
    price: Math.round(low * (high / low) ** random.next() * 100) / 100,
    updatedAt: startTime,
  };
}

function profile(index: number, random: Random, startTime: number): UserProfile {
  const x = random.next();
  const preferred = new Set<string>();
  const wanted = random.int(1, 4);
  while (preferred.size < wanted) preferred.add(random.pick(CATEGORIES));
  return {
    userId: `u${pad(index)}`,
    ageBand: random.pick(AGE_BANDS),
    segment: x < 0.3 ? SEGMENTS[0] : x < 0.85 ? SEGMENTS[1] : SEGMENTS[2],
    preferredCategories: [...preferred],
    updatedAt: startTime,
  };
}

export function generateWorld(settings: GeneratorSettings): World {
  const random = seededRandom(settings.seed);
  const products = Array.from({ length: settings.products }, (_, k) => product(k, random, settings.startTime));
  const profiles = Array.from({ length: settings.users }, (_, j) => profile(j, random, settings.startTime));
  const productsByCategory = new Map<string, Product[]>();
  for (const p of products) productsByCategory.set(p.category, [...(productsByCategory.get(p.category) ?? []), p]);
  return { products, profiles, productsByCategory };
}

/**
 * Behaviour event `index`: a few users are far more active than most; a user
 * mostly browses their preferred categories, and within a category a few
 * products draw most attention; most events are views, some carts, few purchases.
 */
export function behaviourEvent(
  world: World,
  settings: GeneratorSettings,
  index: number,
  random: Random,
): BehaviourEvent {
  const user = world.profiles[Math.floor(world.profiles.length * random.next() ** 1.6)]!;
  const preferred = user.preferredCategories.filter((c) => world.productsByCategory.has(c));
  const categories = [...world.productsByCategory.keys()];
  const category = random.next() < 0.75 && preferred.length > 0 ? random.pick(preferred) : random.pick(categories);
  const inCategory = world.productsByCategory.get(category)!;
  const chosen = inCategory[Math.floor(inCategory.length * random.next() ** 1.8)]!;
  const x = random.next();
  return {
    userId: user.userId,
    productId: chosen.productId,
    category: chosen.category,
    action: x < 0.8 ? 'view' : x < 0.94 ? 'cart' : 'purchase',
    timestamp: settings.startTime + index * settings.eventSpacingMs + random.int(0, settings.jitterMs + 1),
  };
}
