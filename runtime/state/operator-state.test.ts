// Operator (non-keyed) list state from getOperatorStateStore(): each instance
// keeps its own lists; restored at another parallelism, split lists are divided
// among the new instances and union lists are given whole to each.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { JobControl } from '../execution/job-control.ts';
import { BrookError, StreamEnvironment, type ListState, type ProcessFunction } from '../index.ts';
import { queueSource } from '../testing/queue-source.ts';
import { waitUntil } from '../testing/wait-until.ts';

const root = mkdtempSync(join(tmpdir(), 'brook-operator-state-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface Lists {
  buffered: number[];
  seenBy: string[];
}

/** Buffers every record in a split list and notes `subtask:record` in a union list; reports restored lists. */
function buffering(
  processed: { count: number },
  restored: Lists[],
): ProcessFunction<number, never> & { buffer?: ListState<number>; seenBy?: ListState<string>; subtask?: number } {
  return {
    open(ctx) {
      const store = ctx.getOperatorStateStore();
      this.buffer = store.getListState<number>('buffer');
      this.seenBy = store.getUnionListState<string>('seen-by');
      this.subtask = ctx.subtaskIndex;
      restored[ctx.subtaskIndex] = { buffered: this.buffer.get(), seenBy: this.seenBy.get() };
    },
    processElement(n) {
      this.buffer!.add(n);
      this.seenBy!.add(`${this.subtask}:${n}`);
      processed.count++;
    },
  };
}

test('operator list state is per instance and is redistributed on restore: split lists divided, union lists copied', async () => {
  const N = 300;
  const numbers = Array.from({ length: N }, (_, i) => i);

  const first = new StreamEnvironment().setParallelism(3);
  const feed = queueSource<number>();
  const processed = { count: 0 };
  first
    .fromSource(feed.source)
    .setParallelism(1)
    .rebalance()
    .process(buffering(processed, []))
    .uid('buffering')
    .collect();
  const control = new JobControl();
  const job = first.execute('buffer', { control });
  feed.push(...numbers);
  await waitUntil(() => processed.count === N, 'every record is buffered');
  const savepoint = await control.stopWithSavepoint(`file://${root}/sp`);
  const stopped = await job;

  // Before the savepoint, instance i held exactly what round-robin gave it.
  const instances = stopped.operators.get('buffering')!;
  assert.equal(instances.length, 3);
  instances.forEach((operator, i) => {
    const buffered = operator.operatorState.getListState<number>('buffer').get();
    assert.deepEqual(
      buffered,
      numbers.filter((n) => n % 3 === i),
      `instance ${i}`,
    );
  });

  const second = new StreamEnvironment().setParallelism(2);
  const restored: Lists[] = [];
  second
    .fromCollection<number>([])
    .rebalance()
    .process(buffering({ count: 0 }, restored))
    .uid('buffering')
    .collect();
  await second.execute('restored', { fromSavepoint: savepoint, allowNonRestoredState: true });

  assert.equal(restored.length, 2);
  const allBuffered = restored.flatMap((r) => r.buffered).sort((a, b) => a - b);
  assert.deepEqual(allBuffered, numbers, 'every buffered record is restored exactly once');
  for (const r of restored) assert.ok(Math.abs(r.buffered.length - N / 2) <= 1, 'split lists are divided evenly');
  const everySeen = numbers.map((n) => `${n % 3}:${n}`).sort();
  for (const r of restored)
    assert.deepEqual([...r.seenBy].sort(), everySeen, 'each instance gets the whole union list');
});

test('an operator list state name used as split and as union list is refused naming both modes', async () => {
  const env = new StreamEnvironment();
  env
    .fromCollection([1])
    .process<never>({
      open(ctx) {
        ctx.getOperatorStateStore().getListState('offsets');
        ctx.getOperatorStateStore().getUnionListState('offsets');
      },
      processElement() {},
    })
    .name('offsets-keeper')
    .collect();
  await assert.rejects(env.execute('modes'), (error: Error) => {
    assert.match(
      error.message,
      /operator 'offsets-keeper' failed while opening: operator state 'offsets' is registered as split list and requested as union list/,
    );
    assert.equal((error.cause as Error).cause instanceof BrookError, true);
    assert.equal(((error.cause as Error).cause as BrookError).code, 'BROOK_STATE_DESCRIPTOR_CONFLICT');
    return true;
  });
});
