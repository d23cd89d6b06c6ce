// A small seeded random generator (mulberry32) that can be re-seeded per record
// index, so generated data does not depend on parallelism or split layout.

export class SeededRandom {
  private state = 0;

  reset(seed: number): this {
    this.state = seed | 0;
    return this;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, maxExclusive). */
  int(min: number, maxExclusive: number): number {
    return min + Math.floor(this.next() * (maxExclusive - min));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}

/** Mixes a seed and an index into a well-spread 32-bit seed (splitmix32 finaliser). */
export function seedFor(seed: number, index: number): number {
  let z = (seed ^ Math.imul(index | 0, 0x9e3779b9) ^ Math.floor(index / 4294967296)) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) | 0;
}
