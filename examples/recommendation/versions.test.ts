// Version lists for the event-time joins: sorted insertion, the version in
// force at a time, and pruning that never changes a later lookup.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { versionAt, withoutVersionsBefore, withVersion } from './versions.ts';

const v = (updatedAt: number, label = `v${updatedAt}`) => ({ updatedAt, label });

test('versions stay sorted by updatedAt; one with the same updatedAt replaces the old', () => {
  let versions = [v(20)];
  for (const next of [v(5), v(30), v(10), v(20, 'again')]) versions = withVersion(versions, next);
  assert.deepEqual(
    versions.map((x) => x.label),
    ['v5', 'v10', 'again', 'v30'],
  );
});

test('the version in force at a time is the latest at or before it', () => {
  const versions = [v(5), v(10), v(30)];
  const cases: [number, string | undefined][] = [
    [4, undefined],
    [5, 'v5'],
    [9, 'v5'],
    [10, 'v10'],
    [29, 'v10'],
    [1000, 'v30'],
  ];
  for (const [time, label] of cases) assert.equal(versionAt(versions, time)?.label, label, `at ${time}`);
});

test('pruning before a time keeps the version in force then and all later ones, so lookups at or after it are unchanged', () => {
  const versions = [v(5), v(10), v(30), v(40)];
  for (const time of [0, 5, 12, 30, 35, 50]) {
    const pruned = withoutVersionsBefore(versions, time);
    for (let later = time; later <= 60; later++) assert.equal(versionAt(pruned, later), versionAt(versions, later));
    assert.ok(pruned.length <= versions.length);
  }
  assert.deepEqual(
    withoutVersionsBefore(versions, 35).map((x) => x.updatedAt),
    [30, 40],
  );
});
