// keyBy routing: every record of a key reaches one parallel instance, the one
// that owns the key's key group, computed here with an independent byte-wise
// murmur3 (x86, 32-bit) and Flink's key-group formulas.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StreamEnvironment, valueState, type KeyedProcessFunction, type ValueState } from '../index.ts';

/** Reference murmur3 x86 32-bit over bytes, written from the published algorithm. */
function murmur3(bytes: Uint8Array, seed: number): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const mixK = (k: number) => Math.imul(((Math.imul(k, c1) << 15) | (Math.imul(k, c1) >>> 17)) >>> 0, c2);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const blocks = bytes.length >>> 2;
  let h = seed | 0;
  for (let i = 0; i < blocks; i++) {
    h ^= mixK(view.getUint32(i * 4, true));
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = blocks * 4;
  const rest = bytes.length & 3;
  let k = 0;
  if (rest >= 3) k ^= bytes[tail + 2]! << 16;
  if (rest >= 2) k ^= bytes[tail + 1]! << 8;
  if (rest >= 1) {
    k ^= bytes[tail]!;
    h ^= mixK(k);
  }
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Brook's documented key hash: strings as UTF-16LE bytes, int32 numbers as 4 little-endian bytes. */
function referenceHash(key: string | number): number {
  if (typeof key === 'string') return murmur3(Buffer.from(key, 'utf16le'), 0x9747b28c);
  const bytes = Buffer.alloc(4);
  bytes.writeInt32LE(key);
  return murmur3(bytes, 0x2545f491);
}

function owner(key: string | number, maxParallelism: number, parallelism: number): number {
  const keyGroup = referenceHash(key) % maxParallelism;
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

const stringKeys = [
  '',
  'a',
  'ab',
  'abc',
  'user-1',
  'user-42',
  'zürich',
  'ключ',
  '鍵',
  '😀',
  ...Array.from({ length: 200 }, (_, i) => `k${i}`),
];
const intKeys = [
  0,
  1,
  -1,
  7,
  42,
  1000,
  -123456,
  2 ** 31 - 1,
  -(2 ** 31),
  ...Array.from({ length: 100 }, (_, i) => i * 97),
];

test('the reference murmur3 used here reproduces published test vectors', () => {
  assert.equal(murmur3(Buffer.from('Hello, world!'), 1234), 0xfaf6cdb3);
  assert.equal(murmur3(Buffer.from('The quick brown fox jumps over the lazy dog'), 0x9747b28c), 0x2fa826cd);
  assert.equal(murmur3(Buffer.from(''), 0), 0);
});

for (const [parallelism, maxParallelism] of [
  [4, 128],
  [5, 100],
  [3, 7],
] as const) {
  test(`keyBy sends every record of a key to the owner of its key group, murmur3 % ${maxParallelism} then floor(kg * ${parallelism} / ${maxParallelism})`, async () => {
    const keys: (string | number)[] = [...new Set([...stringKeys, ...intKeys])];
    const env = new StreamEnvironment().setParallelism(parallelism).setMaxParallelism(maxParallelism);
    // Keyed state would fail with BROOK_KEY_GROUP_MISMATCH if a key reached an instance outside its range.
    const counter: KeyedProcessFunction<string | number, string | number, [string | number, number, number]> & {
      count?: ValueState<number>;
      subtask?: number;
    } = {
      open(ctx) {
        this.count = ctx.getState(valueState<number>('count'));
        this.subtask = ctx.subtaskIndex;
      },
      processElement(key, ctx, out) {
        const n = (this.count!.value() ?? 0) + 1;
        this.count!.update(n);
        out.collect([ctx.getCurrentKey(), this.subtask!, n]);
      },
    };
    const out = env
      .fromGenerator({ count: keys.length * 5, generate: (i) => keys[i % keys.length]! })
      .keyBy((k) => k)
      .process(counter)
      .collect();
    await env.execute('key-routing');

    assert.equal(out.records.length, keys.length * 5);
    const finalCount = new Map<string | number, number>();
    for (const {
      value: [key, subtask, n],
      subtask: sinkSubtask,
    } of out.records) {
      const expected = owner(key, maxParallelism, parallelism);
      assert.equal(subtask, expected, `key ${JSON.stringify(key)} processed by its owner`);
      assert.equal(sinkSubtask, expected, `key ${JSON.stringify(key)} collected at its owner`);
      finalCount.set(key, Math.max(finalCount.get(key) ?? 0, n));
    }
    for (const key of keys)
      assert.equal(finalCount.get(key), 5, `all 5 records of ${JSON.stringify(key)} met one state`);
    assert.equal(new Set(out.records.map((r) => r.subtask)).size, parallelism, 'every instance owns some keys');
  });
}
