// User functions are copied per parallel instance: plain objects and class
// instances, including classes with #private fields, never share fields.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  StreamEnvironment,
  valueState,
  type KeyedProcessFunction,
  type RuntimeContext,
  type ValueState,
} from '../index.ts';
import { perInstance } from './per-instance.ts';

class CountPerKey implements KeyedProcessFunction<number, number, [number, number]> {
  #count: ValueState<number> | undefined;
  label = 'count';

  open(ctx: RuntimeContext): void {
    this.#count = ctx.getState(valueState<number>('count'));
  }

  processElement(value: number, _ctx: unknown, out: { collect(v: [number, number]): void }): void {
    const count = (this.#count!.value() ?? 0) + 1;
    this.#count!.update(count);
    out.collect([value, count]);
  }
}

test('a class instance with #private fields works at any parallelism: each instance gets its own', async () => {
  const env = new StreamEnvironment().setParallelism(3);
  const out = env
    .fromCollection([1, 2, 3, 1, 2, 1])
    .keyBy((v) => v)
    .process(new CountPerKey())
    .collect();
  await env.execute('private-fields');
  const last = new Map<number, number>();
  for (const [key, count] of out.values) last.set(key, Math.max(last.get(key) ?? 0, count));
  assert.deepEqual(
    last,
    new Map([
      [1, 3],
      [2, 2],
      [3, 1],
    ]),
  );
});

test("copies keep the original's own fields and do not share them", () => {
  const original = new CountPerKey();
  original.label = 'changed';
  const a = perInstance(original);
  const b = perInstance(original);
  assert.equal(a.label, 'changed');
  assert.notEqual(a, b);
  a.label = 'a';
  assert.equal(b.label, 'changed');
  const plain = {
    n: 1,
    bump() {
      this.n++;
    },
  };
  const copy = perInstance(plain);
  copy.bump();
  assert.equal(plain.n, 1);
});
