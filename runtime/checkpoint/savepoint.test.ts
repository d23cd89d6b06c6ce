// Savepoints: stop a job with a savepoint at parallelism 2, restore it at 1
// and at 4, and the final results equal an uninterrupted run's; a savepoint
// with state for an operator the job lost is refused unless allowed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { JobControl } from '../execution/job-control.ts';
import { waitUntil } from '../testing/wait-until.ts';
import {
  StreamEnvironment,
  forMonotonousTimestamps,
  valueState,
  type KeyedProcessFunction,
  type ValueState,
} from '../index.ts';
import type { SeededRandom } from '../connectors/random.ts';

const root = mkdtempSync(join(tmpdir(), 'brook-savepoints-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface Event {
  user: string;
  amount: number;
  seq: number;
}

const RECORDS = 4000;
const generate = (i: number, r: SeededRandom): Event => ({ user: `u${r.int(0, 25)}`, amount: r.int(1, 50), seq: i });

/** Records sumPerUser has put in its state, across every job of this file (a test waits for state to exist). */
let recordsInState = 0;

const sumPerUser: KeyedProcessFunction<string, Event, [string, number, number]> & {
  sum?: ValueState<number>;
  count?: ValueState<number>;
} = {
  open(ctx) {
    this.sum = ctx.getState(valueState<number>('sum'));
    this.count = ctx.getState(valueState<number>('count'));
  },
  processElement(e, ctx) {
    this.sum!.update((this.sum!.value() ?? 0) + e.amount);
    this.count!.update((this.count!.value() ?? 0) + 1);
    recordsInState++;
    ctx.timerService().registerEventTimeTimer(Number.MAX_SAFE_INTEGER - 1);
  },
  onTimer(_t, ctx, out) {
    out.collect([ctx.getCurrentKey(), this.sum!.value()!, this.count!.value()!]);
  },
};

function build(parallelism: number, recordsPerSecond?: number, backend: 'heap' | 'lmdb' = 'heap') {
  const env = new StreamEnvironment().setParallelism(parallelism).setStateBackend({ kind: backend });
  const results = env
    .fromGenerator(
      { count: RECORDS, seed: 5, generate, recordsPerSecond, splits: 4 },
      forMonotonousTimestamps<Event>().withTimestampAssigner((e) => e.seq),
    )
    .uid('events')
    .keyBy((e) => e.user)
    .process(sumPerUser)
    .uid('sum-per-user')
    .collect();
  return { env, results };
}

const sorted = (rows: [string, number, number][]) => [...rows].sort((a, b) => a[0].localeCompare(b[0]));

test('a savepoint taken at parallelism 2 restores at 1 and at 4 with results equal to an uninterrupted run', async () => {
  const uninterrupted = build(2);
  await uninterrupted.env.execute('uninterrupted');
  const expected = sorted(uninterrupted.results.values);
  assert.ok(expected.length > 0);

  for (const restoreParallelism of [1, 4]) {
    const first = build(2, 4000);
    const control = new JobControl();
    const job = first.env.execute('with-savepoint', { control });
    // Stopped as soon as it runs: a fixed wait fails on a loaded machine.
    await control.whenRunning();
    const location = await control.stopWithSavepoint(`file://${root}/sp-to-${restoreParallelism}`);
    const stopped = await job;
    assert.equal(stopped.savepoint, location);
    assert.deepEqual(first.results.values, [], 'stopped before the end: no final results yet');

    const second = build(restoreParallelism);
    await second.env.execute('restored', { fromSavepoint: location });
    assert.deepEqual(sorted(second.results.values), expected, `restored at parallelism ${restoreParallelism}`);
  }
});

test('a savepoint moves between the heap and the lmdb backend at other parallelisms: heap 2 → lmdb 3 → heap 1', async () => {
  const uninterrupted = build(2);
  await uninterrupted.env.execute('uninterrupted');

  const first = build(2, 4000);
  const firstControl = new JobControl();
  const firstJob = first.env.execute('heap', { control: firstControl });
  // Stopped as soon as it runs: a fixed wait fails on a loaded machine.
  await firstControl.whenRunning();
  const fromHeap = await firstControl.stopWithSavepoint(`file://${root}/heap-to-lmdb`);
  await firstJob;

  const second = build(3, 4000, 'lmdb');
  const secondControl = new JobControl();
  const secondJob = second.env.execute('lmdb', { control: secondControl, fromSavepoint: fromHeap });
  // Stopped as soon as it runs: a fixed wait fails on a loaded machine.
  await secondControl.whenRunning();
  const fromLmdb = await secondControl.stopWithSavepoint(`file://${root}/lmdb-to-heap`);
  await secondJob;
  assert.deepEqual(second.results.values, [], 'the lmdb run was stopped before the end');

  const third = build(1);
  await third.env.execute('heap-again', { fromSavepoint: fromLmdb });
  assert.deepEqual(sorted(third.results.values), sorted(uninterrupted.results.values));
});

test('a savepoint with state for an operator the job no longer has is refused, unless allowNonRestoredState', async () => {
  // 10 s of input, stopped once the keyed operator has state: a job of 1 s could end before the stop under
  // CI load, and a stop at once could come before any state exists; either way the savepoint would hold none.
  const first = build(1, 400);
  const control = new JobControl();
  const job = first.env.execute('to-change', { control });
  const before = recordsInState;
  await control.whenRunning();
  await waitUntil(() => recordsInState >= before + 10, 'the keyed operator has state', 20_000);
  const location = await control.stopWithSavepoint(`file://${root}/sp-changed`);
  await job;
  assert.ok(first.results.values.length < RECORDS, 'stopped before the end of its input');

  const changed = () => {
    const env = new StreamEnvironment();
    env
      .fromGenerator({ count: 10, seed: 5, generate, splits: 4 })
      .uid('events')
      .map((e) => e.amount)
      .collect();
    return env;
  };
  await assert.rejects(
    changed().execute('changed', { fromSavepoint: location }),
    /has state for operator 'sum-per-user' that the job no longer contains; set allowNonRestoredState to drop it/,
  );
  await changed().execute('changed', { fromSavepoint: location, allowNonRestoredState: true });
});

test('a stop-with-savepoint that fails leaves the job running to its end with every result', async () => {
  const uninterrupted = build(2);
  await uninterrupted.env.execute('uninterrupted');

  const first = build(2, 4000);
  const control = new JobControl();
  const job = first.env.execute('failed-stop', { control });
  // Stopped as soon as it runs: a fixed wait fails on a loaded machine.
  await control.whenRunning();
  // The savepoint's parent is a file: its data files cannot be written.
  writeFileSync(join(root, 'not-a-directory'), '');
  await assert.rejects(control.stopWithSavepoint(`file://${root}/not-a-directory/sp`), /checkpoint \d+ failed/);
  const finished = await job;
  assert.equal(finished.savepoint, undefined);
  assert.deepEqual(sorted(first.results.values), sorted(uninterrupted.results.values));
});

test('a source added since the savepoint starts from its beginning; restored ones resume', async () => {
  const first = build(2, 4000);
  const control = new JobControl();
  const job = first.env.execute('before-adding', { control });
  // Stopped as soon as it runs: a fixed wait fails on a loaded machine.
  await control.whenRunning();
  const location = await control.stopWithSavepoint(`file://${root}/sp-added-source`);
  await job;

  const second = build(2);
  const added = second.env
    .fromGenerator({ count: 500, generate: (i) => i })
    .uid('added-source')
    .collect();
  await second.env.execute('after-adding', { fromSavepoint: location });
  assert.equal(added.values.length, 500, 'the new source read all of its input');
  const uninterrupted = build(2);
  await uninterrupted.env.execute('uninterrupted');
  assert.deepEqual(sorted(second.results.values), sorted(uninterrupted.results.values));
});
