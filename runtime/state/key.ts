// Keys of keyed streams: what a key may be, its normalised form for maps, and
// the stable hash that assigns it to a key group. The hash is part of the
// savepoint format: changing it would move keys to other key groups.

/** A key: a primitive, or a tuple of primitives (for composite keys such as `[userId, itemId]`). */
export type KeyPrimitive = string | number | bigint | boolean;
export type Key = KeyPrimitive | readonly KeyPrimitive[];

/** The key as stored in maps: primitives as they are, tuples as one string. */
export type KeyId = string | number | bigint | boolean;

const TUPLE_PREFIX = '\u0001tuple:';
const TAGS = { string: 's', number: 'n', bigint: 'i', boolean: 'b' } as const;

function encodePrimitive(part: KeyPrimitive): string {
  const text = String(part);
  return `${TAGS[typeof part as keyof typeof TAGS]}${text.length}:${text}`;
}

/** Normalises a key for use in a `Map`; tuples with equal parts get equal ids. */
export function keyId(key: Key): KeyId {
  if (typeof key !== 'object') return key;
  let id = TUPLE_PREFIX;
  for (const part of key) id += encodePrimitive(part);
  return id;
}

function decodePrimitive(tag: string, text: string): KeyPrimitive {
  switch (tag) {
    case 's':
      return text;
    case 'n':
      return Number(text);
    case 'i':
      return BigInt(text);
    default:
      return text === 'true';
  }
}

/** The key a KeyId was made from (the inverse of keyId). */
export function keyFromId(id: KeyId): Key {
  if (typeof id !== 'string' || !id.startsWith(TUPLE_PREFIX)) return id;
  const parts: KeyPrimitive[] = [];
  let i = TUPLE_PREFIX.length;
  while (i < id.length) {
    const tag = id[i]!;
    const colon = id.indexOf(':', i);
    const length = Number(id.slice(i + 1, colon));
    parts.push(decodePrimitive(tag, id.slice(colon + 1, colon + 1 + length)));
    i = colon + 1 + length;
  }
  return parts;
}

/** Throws unless `key` is a valid Brook key, naming what it got instead. */
export function checkKey(key: unknown): asserts key is Key {
  const t = typeof key;
  if (t === 'string' || t === 'bigint' || t === 'boolean') return;
  if (t === 'number') {
    if (Number.isNaN(key)) throw new TypeError('a key must not be NaN');
    return;
  }
  if (Array.isArray(key) && key.every((p) => ['string', 'number', 'bigint', 'boolean'].includes(typeof p))) {
    if (key.some((p) => Number.isNaN(p))) throw new TypeError('a key must not contain NaN');
    return;
  }
  throw new TypeError(
    `a key must be a string, number, bigint, boolean or an array of those; got ${key === null ? 'null' : t}`,
  );
}

// Murmur3 x86 32-bit, exactly as published: strings hash as their UTF-16LE
// bytes, int32 numbers as their 4 little-endian bytes (test vectors in the test).
function scramble(k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, 0x1b873593);
}

function mix(h: number, k: number): number {
  h ^= scramble(k);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finalise(h: number, byteLength: number): number {
  h ^= byteLength;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const STRING_SEED = 0x9747b28c;
const INT_SEED = 0x2545f491;

function hashString(s: string): number {
  let h = STRING_SEED;
  const n = s.length;
  let i = 0;
  for (; i + 1 < n; i += 2) h = mix(h, s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16));
  if (i < n) h ^= scramble(s.charCodeAt(i)); // a 2-byte tail
  return finalise(h, n * 2);
}

/**
 * The stable 32-bit hash of a key (unsigned). Integers in the int32 range hash
 * as one word; every other key hashes through its normalised text.
 */
export function hashKey(key: Key): number {
  if (typeof key === 'number' && (key | 0) === key) return finalise(mix(INT_SEED, key), 4);
  if (typeof key === 'string') return hashString(key);
  return hashString(`${typeof key}:${String(keyId(key))}`);
}
