// The merging window set of session windows as a pure data structure: its
// active windows against an independent union of intervals, and the state
// windows it re-points so that no element's state is lost or counted twice.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SeededRandom } from '../connectors/random.ts';
import { MergingWindowSet, mergeOverlapping } from './merging-window-set.ts';
import type { TimeWindow } from './time-window.ts';

const name = (w: TimeWindow) => `[${w.start},${w.end})`;

/** Windows that overlap or touch, joined: sort by start, extend the last group while the next starts within it. */
function unionOf(windows: TimeWindow[]): TimeWindow[] {
  const union: { start: number; end: number }[] = [];
  for (const w of [...windows].sort((a, b) => a.start - b.start)) {
    const last = union.at(-1);
    if (last && w.start <= last.end) last.end = Math.max(last.end, w.end);
    else union.push({ ...w });
  }
  return union;
}

const activeWindows = (set: MergingWindowSet) =>
  set
    .persist()
    .map(([start, end]) => ({ start, end }))
    .sort((a, b) => a.start - b.start);

test('mergeOverlapping groups windows that overlap or touch, transitively, each group covered by one window', () => {
  const cases: [TimeWindow[], string[][]][] = [
    [[], []],
    [[{ start: 0, end: 10 }], [['[0,10)', '[0,10)']]],
    [
      [
        { start: 0, end: 10 },
        { start: 10, end: 20 },
      ],
      [['[0,20)', '[0,10)', '[10,20)']],
    ],
    [
      [
        { start: 0, end: 10 },
        { start: 11, end: 20 },
      ],
      [
        ['[0,10)', '[0,10)'],
        ['[11,20)', '[11,20)'],
      ],
    ],
    [
      [
        { start: 20, end: 30 },
        { start: 0, end: 12 },
        { start: 5, end: 22 },
        { start: 40, end: 50 },
      ],
      [
        ['[0,30)', '[0,12)', '[5,22)', '[20,30)'],
        ['[40,50)', '[40,50)'],
      ],
    ],
  ];
  for (const [windows, want] of cases) {
    const got = mergeOverlapping(windows).map((g) => [name(g.result), ...g.members.map(name)]);
    assert.deepEqual(got, want, windows.map(name).join(' '));
  }
});

test('after any sequence of added windows, the active windows are the union of the windows added, and each holds exactly the state of its elements', () => {
  for (let seed = 1; seed <= 40; seed++) {
    const random = new SeededRandom().reset(seed);
    let set = new MergingWindowSet();
    const added: TimeWindow[] = [];
    // What a window operator keeps: element ids per state window (by its start).
    const state = new Map<number, number[]>();
    for (let element = 0; element < 60; element++) {
      const start = random.int(0, 1000);
      const window = { start, end: start + random.int(1, 40) };
      const before = activeWindows(set).map(name);
      const mergedAway: string[] = [];
      const result = set.addWindow(window, (mergeResult, mergedWindows, stateWindow, mergedStateWindows) => {
        assert.ok(mergedWindows.every((m) => m.start >= mergeResult.start && m.end <= mergeResult.end));
        mergedAway.push(...mergedWindows.map(name));
        const target = state.get(stateWindow.start) ?? [];
        for (const moved of mergedStateWindows) {
          assert.ok(state.has(moved.start), `state window ${name(moved)} is one that holds state`);
          target.push(...state.get(moved.start)!);
          state.delete(moved.start);
        }
        state.set(stateWindow.start, target);
      });
      assert.ok(result.start <= window.start && window.end <= result.end, 'the new window lies in the returned one');
      const stateWindow = set.getStateWindow(result)!;
      state.set(stateWindow.start, [...(state.get(stateWindow.start) ?? []), element]);
      added.push(window);

      const active = activeWindows(set);
      assert.deepEqual(active, unionOf(added), `seed ${seed}, element ${element}`);
      const after = new Set(active.map(name));
      assert.deepEqual(
        before.filter((w) => !after.has(w)).sort(),
        [...mergedAway].sort(),
        'every window that stopped being active was reported merged',
      );
      for (const w of active) {
        const inside = added.flatMap((a, id) => (a.start >= w.start && a.end <= w.end ? [id] : []));
        assert.deepEqual(
          [...state.get(set.getStateWindow(w)!.start)!].sort((a, b) => a - b),
          inside,
          `the state of ${name(w)}`,
        );
      }
      assert.equal(state.size, active.length, 'no state is left behind in a window merged away');
      // The operator keeps the set in keyed state between records: start from what it persisted.
      set = new MergingWindowSet(set.persist());
    }
  }
});

test('a window inside an active one returns that window and merges nothing', () => {
  const set = new MergingWindowSet();
  const merges: string[] = [];
  const onMerge = (result: TimeWindow) => void merges.push(name(result));
  set.addWindow({ start: 0, end: 100 }, onMerge);
  assert.deepEqual(set.addWindow({ start: 0, end: 100 }, onMerge), { start: 0, end: 100 });
  assert.deepEqual(set.addWindow({ start: 20, end: 50 }, onMerge), { start: 0, end: 100 });
  assert.deepEqual(merges, []);
  assert.deepEqual(set.addWindow({ start: 90, end: 150 }, onMerge), { start: 0, end: 150 });
  assert.deepEqual(merges, ['[0,150)']);
  assert.deepEqual(set.getStateWindow({ start: 0, end: 150 }), { start: 0, end: 100 });
});

test('a retired window is no longer active, and retiring an unknown window fails', () => {
  const set = new MergingWindowSet();
  set.addWindow({ start: 0, end: 10 }, () => {});
  set.addWindow({ start: 20, end: 30 }, () => {});
  set.retireWindow({ start: 0, end: 10 });
  assert.deepEqual(activeWindows(set), [{ start: 20, end: 30 }]);
  assert.equal(set.windowStartingAt(0), undefined);
  assert.deepEqual(set.windowStartingAt(20), { start: 20, end: 30 });
  assert.throws(() => set.retireWindow({ start: 0, end: 10 }), /not in the merging window set/);
  set.retireWindow({ start: 20, end: 30 });
  assert.ok(set.isEmpty);
});
