// Where records go: side outputs from process functions (chained and across the
// network, from processElement and onTimer), union of streams of different
// parallelism, and rebalance's round-robin, each against a plain computation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  OutputTag,
  StreamEnvironment,
  forMonotonousTimestamps,
  valueState,
  type KeyedProcessFunction,
  type ValueState,
} from '../index.ts';

test('a keyed process function routes records to side outputs from processElement and onTimer; each consumer gets exactly its records', async () => {
  const odd = new OutputTag<number>('odd');
  const big = new OutputTag<number>('big');
  const summary = new OutputTag<[number, number]>('summary');
  const unused = new OutputTag<number>('unused');
  const N = 2000;
  const router: KeyedProcessFunction<number, number, number> & { count?: ValueState<number> } = {
    open(ctx) {
      this.count = ctx.getState(valueState<number>('count'));
    },
    processElement(n, ctx, out) {
      this.count!.update((this.count!.value() ?? 0) + 1);
      ctx.timerService().registerEventTimeTimer(N + 1);
      if (n % 2 === 0) out.collect(n);
      else ctx.output(odd, n);
      if (n >= N - 100) ctx.output(big, n);
      ctx.output(unused, n);
    },
    onTimer(_timestamp, ctx) {
      ctx.output(summary, [ctx.getCurrentKey(), this.count!.value()!]);
    },
  };
  const env = new StreamEnvironment().setParallelism(3);
  const routed = env
    .fromGenerator(
      { count: N, generate: (i) => i },
      forMonotonousTimestamps<number>().withTimestampAssigner((n) => n),
    )
    .keyBy((n) => n % 10)
    .process(router);
  const evens = routed.collect();
  // Chained after the process function (forward edge, same parallelism)...
  const odds = routed
    .getSideOutput(odd)
    .map((n) => -n)
    .collect();
  // ...and across the network to an operator of another parallelism.
  const bigs = routed
    .getSideOutput(big)
    .keyBy((n) => n)
    .map((n) => n)
    .setParallelism(2)
    .collect();
  const summaries = routed.getSideOutput(summary).collect();
  await env.execute('side-outputs');

  const numbers = Array.from({ length: N }, (_, i) => i);
  const byValue = (a: number, b: number) => a - b;
  assert.deepEqual(
    evens.values.sort(byValue),
    numbers.filter((n) => n % 2 === 0),
  );
  assert.deepEqual(
    odds.values.sort(byValue),
    numbers
      .filter((n) => n % 2 === 1)
      .map((n) => -n)
      .sort(byValue),
  );
  assert.deepEqual(
    bigs.values.sort(byValue),
    numbers.filter((n) => n >= N - 100),
  );
  assert.deepEqual(
    summaries.values.sort(([a], [b]) => a - b),
    Array.from({ length: 10 }, (_, key) => [key, N / 10]),
  );
  assert.ok(
    odds.records.every((r) => r.timestamp === -r.value),
    'a side output record keeps the timestamp of the record that caused it',
  );
  assert.ok(
    summaries.records.every((r) => r.timestamp === N + 1),
    'a side output from onTimer carries the timer time',
  );
});

test('union merges streams of different parallelism: the result is exactly the concatenation of the inputs', async () => {
  const env = new StreamEnvironment().setParallelism(2);
  const a = env.fromCollection(['a0', 'a1', 'a2']);
  const b = env.fromGenerator({ count: 500, generate: (i) => `b${i}` }).setParallelism(2);
  const c = env
    .fromGenerator({ count: 700, generate: (i) => i })
    .setParallelism(3)
    .map((i) => `c${i}`)
    .setParallelism(3);
  const out = a
    .union(b, c)
    .map((s) => s.toUpperCase())
    .collect();
  await env.execute('union');
  const expected = [
    'a0',
    'a1',
    'a2',
    ...Array.from({ length: 500 }, (_, i) => `b${i}`),
    ...Array.from({ length: 700 }, (_, i) => `c${i}`),
  ].map((s) => s.toUpperCase());
  assert.deepEqual(out.values.sort(), expected.sort());
});

test('rebalance deals the records of one producer round-robin over the next operator’s instances', async () => {
  const env = new StreamEnvironment().setParallelism(4);
  const out = env
    .fromCollection(Array.from({ length: 1000 }, (_, i) => i))
    .rebalance()
    .map((i) => i)
    .collect();
  await env.execute('rebalance');
  assert.equal(out.records.length, 1000);
  for (const { value, subtask } of out.records) assert.equal(subtask, value % 4, `record ${value}`);
});

test('rebalance spreads a skewed input evenly: every instance gets an equal share', async () => {
  const env = new StreamEnvironment().setParallelism(3);
  // One split: only the first of the three source instances has records.
  const skewed = env.fromGenerator({ count: 999, generate: (i) => i, splits: 1 });
  const forwarded = skewed.map((i) => i).collect();
  const rebalanced = skewed
    .rebalance()
    .map((i) => i)
    .collect();
  await env.execute('skew');
  const perSubtask = (records: { subtask: number }[]) =>
    [0, 1, 2].map((s) => records.filter((r) => r.subtask === s).length);
  assert.deepEqual(perSubtask(forwarded.records), [999, 0, 0], 'without rebalance the skew stays');
  assert.deepEqual(perSubtask(rebalanced.records), [333, 333, 333]);
  assert.deepEqual(
    rebalanced.values.sort((a, b) => a - b),
    Array.from({ length: 999 }, (_, i) => i),
  );
});

test('broadcast() without descriptors gives every record to every instance; global() gives them all to the first', async () => {
  const env = new StreamEnvironment().setParallelism(3);
  const numbers = env.fromGenerator({ count: 300, generate: (i) => i }).setParallelism(2);
  const everywhere = numbers
    .broadcast()
    .map((i) => i)
    .collect();
  const first = numbers
    .global()
    .map((i) => i)
    .collect();
  await env.execute('broadcast-global');
  const all = Array.from({ length: 300 }, (_, i) => i);
  for (const subtask of [0, 1, 2]) {
    const got = everywhere.records.filter((r) => r.subtask === subtask).map((r) => r.value);
    assert.deepEqual(
      got.sort((a, b) => a - b),
      all,
      `instance ${subtask} got every record once`,
    );
  }
  assert.ok(first.records.every((r) => r.subtask === 0));
  assert.deepEqual(
    first.values.sort((a, b) => a - b),
    all,
  );
});

test('a rolling reduce on a keyed stream emits the running result per key after every record', async () => {
  const env = new StreamEnvironment().setParallelism(4);
  const words = Array.from({ length: 2000 }, (_, i) => ({ word: `w${(i * 31) % 17}`, n: 1, i }));
  const out = env
    .fromCollection(words)
    .keyBy((w) => w.word)
    .reduce((a, b) => ({ word: a.word, n: a.n + b.n, i: b.i }))
    .collect();
  await env.execute('rolling-reduce');
  const seen = new Map<string, number>();
  const expected = words.map((w) => {
    const n = (seen.get(w.word) ?? 0) + 1;
    seen.set(w.word, n);
    return `${w.i}:${w.word}:${n}`;
  });
  assert.deepEqual(out.values.map((w) => `${w.i}:${w.word}:${w.n}`).sort(), expected.sort());
});
