import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  continuityProblems,
  discontinuities,
  exactlyOnce,
  handoverGap,
  longestLatency,
  longestSilence,
  notStartingAtOne,
  prefixProblems,
  parseCountRecord,
  type CountRecord,
} from './count-checks.ts';

const rec = (value: string, timestamp = 0): CountRecord => parseCountRecord(value, timestamp);

test('parseCountRecord splits key:n@label and refuses anything else, naming it', () => {
  assert.deepEqual(parseCountRecord('k1:12@v2', 5, 3), { key: 'k1', n: 12, label: 'v2', appended: 5, eventTime: 3 });
  assert.throws(() => rec('k1:x@v2'), /'k1:x@v2' is not key:n@label/);
  assert.throws(() => rec('k1:3'), /not key:n@label/);
});

test('exactlyOnce finds duplicates across labels, missing and unexpected counts', () => {
  const expected = ['a:1', 'b:1', 'a:2', 'a:3'];
  assert.deepEqual(
    exactlyOnce(
      expected,
      ['a:1@v1', 'b:1@v1', 'a:2@v2', 'a:3@v2'].map((v) => rec(v)),
    ),
    {
      duplicates: [],
      missing: [],
      unexpected: [],
    },
  );
  assert.deepEqual(
    exactlyOnce(
      expected,
      ['a:1@v1', 'a:1@v2', 'a:2@v2', 'b:2@v2'].map((v) => rec(v)),
    ),
    {
      duplicates: ['a:1'],
      missing: ['b:1', 'a:3'],
      unexpected: ['b:2'],
    },
  );
});

test('discontinuities: the next deployment must carry on at last + 1 for every key it writes', () => {
  const continued = ['a:1@v1', 'a:2@v1', 'a:3@v2', 'b:1@v2', 'b:2@v2'].map((v) => rec(v));
  assert.deepEqual(discontinuities(continued, 'v1', 'v2'), []);
  const reset = ['a:1@v1', 'a:2@v1', 'a:1@v2', 'a:2@v2'].map((v) => rec(v));
  assert.deepEqual(discontinuities(reset, 'v1', 'v2'), ['a: v1 {"first":1,"last":2}, v2 {"first":1,"last":2}']);
  const skipped = ['a:1@v1', 'a:3@v2'].map((v) => rec(v));
  assert.equal(discontinuities(skipped, 'v1', 'v2').length, 1);
  assert.deepEqual(notStartingAtOne(reset, 'v2'), []);
  assert.deepEqual(notStartingAtOne(continued, 'v2'), ['a from 3']);
});

test('handoverGap, longestSilence and longestLatency measure on append times', () => {
  const output = [rec('a:1@v1', 100), rec('a:2@v1', 300), rec('a:3@v2', 1300), rec('a:4@v2', 1400)];
  assert.equal(handoverGap(output, 'v1', 'v2'), 1000);
  assert.throws(() => handoverGap(output, 'v1', 'v3'), /no output under 'v3'/);
  assert.equal(longestSilence(output, 0, 2000), 1000);
  assert.equal(longestSilence(output, 0, 5000), 3600);
  assert.equal(longestSilence([], 10, 20), 10);
  const waited = [parseCountRecord('a:1@v1', 150, 100), parseCountRecord('a:2@v2', 2000, 400)];
  assert.equal(longestLatency(waited, 0, 1000), 1600);
  assert.equal(longestLatency(waited, 0, 200), 50);
});

test('prefixProblems: the counts a cut-off job wrote must be 1..n per key, once each', () => {
  const cut = ['a:1@v1', 'a:2@v1', 'a:3@v2', 'b:1@v2', 'c:9@v3'].map((v) => rec(v));
  assert.deepEqual(prefixProblems(cut, ['v1', 'v2']), []);
  const holed = ['a:1@v1', 'a:3@v2', 'b:1@v1', 'b:1@v2'].map((v) => rec(v));
  assert.deepEqual(prefixProblems(holed, ['v1', 'v2']), [
    'a: count 2 is 3 (2 written, up to 3)',
    'b: count 2 is 1 (2 written, up to 1)',
  ]);
});

test('continuityProblems: duplicates, discontinuities, or nothing written under the new label', () => {
  const ok = ['a:1@v1', 'a:2@v2', 'b:1@v2'].map((v) => rec(v));
  assert.deepEqual(continuityProblems(ok, 'v1', 'v2'), []);
  assert.deepEqual(continuityProblems(ok, 'v2', 'v3'), ['no output under v3']);
  const reset = ['a:1@v1', 'a:1@v2'].map((v) => rec(v));
  assert.deepEqual(continuityProblems(reset, 'v1', 'v2'), [
    'a:1 written twice',
    'a: v1 {"first":1,"last":1}, v2 {"first":1,"last":1}',
  ]);
});
