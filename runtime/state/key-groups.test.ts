// Key-group assignment: every key group belongs to exactly one subtask at any
// parallelism, ranges are contiguous, and the hash is stable across runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashKey, keyFromId, keyId } from './key.ts';
import { keyGroupForKey, keyGroupRangeForSubtask, subtaskForKeyGroup } from './key-groups.ts';

const cases: [maxParallelism: number, parallelism: number][] = [
  [128, 1],
  [128, 2],
  [128, 3],
  [128, 4],
  [128, 7],
  [128, 128],
  [10, 3],
  [1, 1],
  [32768, 13],
];

for (const [maxP, p] of cases) {
  test(`at maxParallelism ${maxP} and parallelism ${p}, subtask ranges tile all key groups and agree with subtaskForKeyGroup`, () => {
    const owner = new Array<number>(maxP).fill(-1);
    let previousEnd = -1;
    for (let i = 0; i < p; i++) {
      const { start, end } = keyGroupRangeForSubtask(maxP, p, i);
      assert.equal(start, previousEnd + 1, `subtask ${i} range starts right after the previous one`);
      for (let kg = start; kg <= end; kg++) {
        assert.equal(owner[kg], -1);
        owner[kg] = i;
      }
      previousEnd = end;
    }
    assert.equal(previousEnd, maxP - 1);
    for (let kg = 0; kg < maxP; kg++) assert.equal(subtaskForKeyGroup(maxP, p, kg), owner[kg], `key group ${kg}`);
  });
}

test('the key hash is murmur3 x86 32-bit and matches a reference implementation (part of the savepoint format)', () => {
  // Expected values from the reference murmur3 (Python mmh3): strings as UTF-16LE bytes with seed 0x9747b28c,
  // int32 as 4 little-endian bytes with seed 0x2545f491, other keys as the string `${typeof}:${keyId}`.
  const vectors: [Parameters<typeof hashKey>[0], number][] = [
    ['user-1', 2102849038],
    ['abc', 2647089982],
    ['', 3954623016],
    ['ü€', 2754479196],
    [42, 965623224],
    [-7, 3067636449],
    [['a', 1], 1996315412],
    [10n, 1380424847],
  ];
  for (const [key, hash] of vectors) assert.equal(hashKey(key), hash, `hash of ${String(key)}`);
});

test('keys spread evenly over key groups', () => {
  const counts = new Array<number>(128).fill(0);
  for (let i = 0; i < 128_000; i++) counts[keyGroupForKey(`user-${i}`, 128)]!++;
  for (const c of counts) assert.ok(c > 800 && c < 1200, `key group count ${c} far from 1000`);
  const intCounts = new Array<number>(128).fill(0);
  for (let i = 0; i < 128_000; i++) intCounts[keyGroupForKey(i, 128)]!++;
  for (const c of intCounts) assert.ok(c > 800 && c < 1200, `int key group count ${c} far from 1000`);
});

test('tuple keys with equal parts share an id; different types do not collide', () => {
  assert.equal(keyId(['a', 1]), keyId(['a', 1]));
  assert.notEqual(keyId(['a', 1]), keyId(['a', '1']));
  assert.notEqual(keyId(['ab', 'c']), keyId(['a', 'bc']));
  assert.notEqual(hashKey(1.5), hashKey('1.5'));
});

test('invalid parallelism settings are refused with the value named', () => {
  assert.throws(() => keyGroupRangeForSubtask(128, 129, 0), /parallelism must be .* got 129/);
  assert.throws(() => keyGroupRangeForSubtask(0, 1, 0), /maxParallelism must be .* got 0/);
  assert.throws(() => keyGroupRangeForSubtask(128, 2, 2), /subtask 2 is outside 0..1/);
});

test('keyFromId inverts keyId for primitives and tuples of every key type', () => {
  const keys = ['user', 7, -1.5, 10n, true, ['a', 1, 2n, false, 'x:y', ''], []] as const;
  for (const key of keys) assert.deepEqual(keyFromId(keyId(key)), key);
});
