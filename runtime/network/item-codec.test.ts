// Record codecs: what crosses between TaskManagers arrives as the job sent it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeItem, encodeItem, msgpackRecordCodec, RecordNotSerializableError, v8RecordCodec } from './item-codec.ts';
import type { ChannelItem } from '../execution/elements.ts';

const richValues = [
  { user: 'u-1', count: 3, missing: undefined, nothing: null, nested: { tags: ['a', 'b'], deep: { n: 1.5 } } },
  new Map<unknown, unknown>([
    [1, { x: 2 }],
    ['k', [1, 2]],
  ]),
  new Set([1, 'a']),
  new Date(1_700_000_000_123),
  12n,
  2n ** 70n,
  -(2n ** 65n),
  Number.MAX_SAFE_INTEGER + 2,
  NaN,
  Infinity,
  new Uint8Array([1, 2, 255]),
  new Float64Array([1.5, -2]),
  Buffer.from('bytes'),
  [undefined, 1, [2, [3]]],
  'text with ünïcode ✓',
  true,
];

function roundTrip(values: unknown[], encoder = msgpackRecordCodec(), decoder = msgpackRecordCodec()): unknown[] {
  const item: ChannelItem = { kind: 'records', values, timestamps: values.map((_, i) => 1000 + i) };
  const decoded = decodeItem(encodeItem(item, encoder, 'test-channel'), decoder);
  assert.equal(decoded.kind, 'records');
  assert.deepEqual(decoded.timestamps, item.timestamps);
  return decoded.values;
}

test('the default codec carries plain data, Maps, Sets, Dates, bigints and typed arrays unchanged', () => {
  assert.deepStrictEqual(roundTrip(richValues), richValues);
});

test('batches decode with any decoder, in any order: each batch carries its record structures', () => {
  const encoder = msgpackRecordCodec();
  const batches = [
    [
      { a: 1, b: 'x' },
      { a: 2, b: 'y' },
    ],
    [{ a: 3, b: 'z' }, { c: [1] }],
    [{ c: [2] }, { a: 4, b: 'w' }],
  ];
  const frames = batches.map((values) =>
    encodeItem({ kind: 'records', values, timestamps: values.map(() => 0) }, encoder, 'ch'),
  );
  // A restarted consumer starts with a fresh decoder, mid-stream.
  for (const index of [2, 0, 1]) {
    const decoded = decodeItem(frames[index]!, msgpackRecordCodec());
    assert.deepStrictEqual(decoded.kind === 'records' && decoded.values, batches[index]);
  }
});

test('a function in a record is an error naming the channel, not a silently dropped field', () => {
  assert.throws(
    () => roundTrip([{ n: 1, describe: () => 'n' }]),
    (error: unknown) =>
      error instanceof RecordNotSerializableError &&
      /a record sent on test-channel cannot be serialised: a function cannot be serialised/.test(error.message),
  );
});

test('the node:v8 codec keeps cycles and shared references for streams that need them', () => {
  const shared = { id: 1 };
  const cyclic: { self?: unknown; a: object; b: object } = { a: shared, b: shared };
  cyclic.self = cyclic;
  const [decoded] = roundTrip([cyclic], v8RecordCodec(), v8RecordCodec()) as (typeof cyclic)[];
  assert.equal(decoded!.self, decoded);
  assert.equal(decoded!.a, decoded!.b);
});
