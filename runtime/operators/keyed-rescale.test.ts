// Keyed state and timers are snapshotted per key group, so they restore at
// another parallelism: every key continues where it was, on whichever subtask
// owns its key group now, and its pending timer fires exactly once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KeyedProcessFunction } from '../api/functions.ts';
import { SeededRandom } from '../connectors/random.ts';
import { MAX_WATERMARK } from '../execution/elements.ts';
import type { Output } from '../execution/output.ts';
import { valueState } from '../state/descriptors.ts';
import { keyGroupForKey, keyGroupRangeForSubtask, subtaskForKeyGroup } from '../state/key-groups.ts';
import type { ValueState } from '../state/state.ts';
import { ManualClock } from '../time/processing-time.ts';
import { materialize, type KeyGroupSnapshot } from '../state/keyed-snapshot.ts';
import { KeyedProcessOperator } from './keyed-process.ts';

const MAX_PARALLELISM = 128;

const countThenReport: KeyedProcessFunction<string, string, [string, number]> & { count?: ValueState<number> } = {
  open(ctx) {
    this.count = ctx.getState(valueState<number>('count'));
  },
  processElement(_key, ctx) {
    this.count!.update((this.count!.value() ?? 0) + 1);
    ctx.timerService().registerEventTimeTimer(10_000); // the same timer on every record: one per key
  },
  onTimer(_timestamp, ctx, out) {
    out.collect([ctx.getCurrentKey(), this.count!.value()!]);
  },
};

async function startOperators(parallelism: number, restoreFrom: KeyGroupSnapshot[], emitted: [string, number][]) {
  const clock = new ManualClock(0);
  const output: Output = {
    collect: (value) => void emitted.push(value as [string, number]),
    emitWatermark() {},
    emitWatermarkStatus() {},
    collectSide() {},
  };
  const operators: KeyedProcessOperator[] = [];
  for (let subtask = 0; subtask < parallelism; subtask++) {
    const keyGroupRange = keyGroupRangeForSubtask(MAX_PARALLELISM, parallelism, subtask);
    const operator = new KeyedProcessOperator((k) => k as string, Object.assign({}, countThenReport));
    operator.setup({
      jobName: 'rescale',
      operatorName: 'count',
      operatorUid: 'count',
      subtaskIndex: subtask,
      parallelism,
      maxParallelism: MAX_PARALLELISM,
      keyGroupRange,
      output,
      clock,
      scheduleAt: (timestamp, callback) => clock.schedule(timestamp, callback),
    });
    operator.restoreKeyedState(
      restoreFrom.filter((s) => s.keyGroup >= keyGroupRange.start && s.keyGroup <= keyGroupRange.end),
    );
    await operator.open();
    operators.push(operator);
  }
  const feed = (keys: string[]) => {
    for (const key of keys) {
      operators[subtaskForKeyGroup(MAX_PARALLELISM, parallelism, keyGroupForKey(key, MAX_PARALLELISM))]!.processElement(
        key,
        0,
      );
    }
  };
  return { operators, feed };
}

for (const newParallelism of [3, 1, 2]) {
  test(`state and timers snapshotted at parallelism 2 continue at parallelism ${newParallelism}: final counts equal an independent count`, async () => {
    const random = new SeededRandom().reset(17);
    const keys = Array.from({ length: 3000 }, () => `user-${random.int(0, 200)}`);
    const expected = new Map<string, number>();
    for (const key of keys) expected.set(key, (expected.get(key) ?? 0) + 1);

    const before: [string, number][] = [];
    const first = await startOperators(2, [], before);
    first.feed(keys.slice(0, 1800));
    const snapshot = first.operators.flatMap((o) => materialize(o.snapshotKeyedState()));
    assert.equal(before.length, 0, 'nothing fired before the snapshot');
    assert.equal(new Set(snapshot.map((s) => s.keyGroup)).size, snapshot.length, 'each key group is in one snapshot');

    const after: [string, number][] = [];
    const second = await startOperators(newParallelism, snapshot, after);
    second.feed(keys.slice(1800));
    for (const operator of second.operators) operator.processWatermark(MAX_WATERMARK);

    assert.equal(after.length, expected.size, 'one timer per key fired');
    assert.deepEqual(new Map(after), expected);
  });
}

test('restoring state saved with another kind under the same name is refused by name', async () => {
  const first = await startOperators(1, [], []);
  first.feed(['a']);
  const snapshot = materialize(first.operators[0]!.snapshotKeyedState());
  const clash: KeyedProcessFunction<string, string, never> = {
    open(ctx) {
      ctx.getListState({ kind: 'list', name: 'count' });
    },
    processElement() {},
  };
  const operator = new KeyedProcessOperator((k) => k as string, clash);
  const clock = new ManualClock(0);
  operator.setup({
    jobName: 'clash',
    operatorName: 'count',
    operatorUid: 'count',
    subtaskIndex: 0,
    parallelism: 1,
    maxParallelism: MAX_PARALLELISM,
    keyGroupRange: keyGroupRangeForSubtask(MAX_PARALLELISM, 1, 0),
    output: { collect() {}, emitWatermark() {}, emitWatermarkStatus() {}, collectSide() {} },
    clock,
    scheduleAt: (t, cb) => clock.schedule(t, cb),
  });
  operator.restoreKeyedState(snapshot);
  await assert.rejects(
    Promise.resolve().then(() => operator.open()),
    /state 'count' was saved as value state and is now requested as list state/,
  );
});
