// The pure decisions behind the per-vertex figures: rates between two
// readings (never across attempts), Flink's backpressure levels, and which
// readings the store keeps as the base of a rate.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FiguresStore } from '../figures-store.ts';
import type { SubtaskFigures } from '../../metrics/subtask-figures.ts';
import { backpressureLevel, subtaskRates } from './vertex-views.ts';

const reading = (at: number, figures: Partial<SubtaskFigures> = {}): SubtaskFigures => ({
  vertex: 'v',
  subtask: 0,
  at,
  recordsIn: 0,
  recordsOut: 0,
  busyMs: 0,
  idleMs: 0,
  backpressuredMs: 0,
  inputQueue: 0,
  finished: false,
  ...figures,
});

test('rates come from two readings; one reading, or readings of two attempts, give ratios since the start', () => {
  const cases: { name: string; previous?: SubtaskFigures; latest: SubtaskFigures; expected: object }[] = [
    {
      name: 'two readings one second apart',
      previous: reading(1000, { recordsIn: 100, recordsOut: 50, busyMs: 100, idleMs: 100, backpressuredMs: 0 }),
      latest: reading(2000, { recordsIn: 600, recordsOut: 300, busyMs: 300, idleMs: 300, backpressuredMs: 600 }),
      expected: {
        recordsInPerSecond: 500,
        recordsOutPerSecond: 250,
        busyRatio: 0.2,
        idleRatio: 0.2,
        backpressureRatio: 0.6,
      },
    },
    {
      name: 'one reading: cumulative ratios, no rate',
      latest: reading(2000, { recordsIn: 600, busyMs: 300, idleMs: 100 }),
      expected: {
        recordsInPerSecond: 0,
        recordsOutPerSecond: 0,
        busyRatio: 0.75,
        idleRatio: 0.25,
        backpressureRatio: 0,
      },
    },
    {
      name: 'a restarted attempt counts from zero: the older reading is not its base',
      previous: reading(1000, { recordsIn: 900, busyMs: 900, idleMs: 100 }),
      latest: reading(2000, { recordsIn: 10, busyMs: 50, idleMs: 50 }),
      expected: { recordsInPerSecond: 0, recordsOutPerSecond: 0, busyRatio: 0.5, idleRatio: 0.5, backpressureRatio: 0 },
    },
    {
      name: 'a task not started yet',
      latest: reading(2000),
      expected: { recordsInPerSecond: 0, recordsOutPerSecond: 0, busyRatio: 0, idleRatio: 0, backpressureRatio: 0 },
    },
  ];
  for (const { name, previous, latest, expected } of cases) {
    assert.deepEqual(subtaskRates({ latest, previous }), expected, name);
  }
});

test("backpressure levels as Flink's: ok up to 10%, low up to 50%, high above", () => {
  const table: [number, string][] = [
    [0, 'ok'],
    [0.1, 'ok'],
    [0.11, 'low'],
    [0.5, 'low'],
    [0.51, 'high'],
    [1, 'high'],
  ];
  for (const [ratio, level] of table) assert.equal(backpressureLevel(ratio), level, `ratio ${ratio}`);
});

test('the store keeps a base at least half a window older than the latest reading, however often readings come', () => {
  const store = new FiguresStore(1000);
  store.update([reading(0)]);
  assert.equal(store.samples()[0]!.previous, undefined, 'one reading: no base');
  store.update([reading(100)]);
  assert.equal(store.samples()[0]!.previous, undefined, 'two readings a moment apart: no rate from them');
  for (let at = 200; at <= 2000; at += 100) store.update([reading(at)]);
  const [sample] = store.samples();
  assert.equal(sample!.latest.at, 2000);
  const span = sample!.latest.at - sample!.previous!.at;
  assert.ok(span >= 500 && span <= 2000, `the rate spans ${span} ms`);
  store.update([reading(2100, { subtask: 1 })], { taskManager: 'tm-1', endpoint: '127.0.0.1:1' });
  assert.deepEqual(
    store.samples().map((s) => [s.latest.subtask, s.location?.taskManager]),
    [
      [0, undefined],
      [1, 'tm-1'],
    ],
  );
});
