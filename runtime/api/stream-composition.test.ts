// Composing streams: keyBy ownership by key group, chaining, union, side
// outputs, connect with a KeyedCoProcessFunction, the broadcast state pattern,
// windowAll and processing-time windows, each against an independent computation.
import { queueSource } from '../testing/queue-source.ts';
import { waitUntil } from '../testing/wait-until.ts';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ManualClock,
  OutputTag,
  StreamEnvironment,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  forMonotonousTimestamps,
  mapState,
  valueState,
  type KeyedBroadcastProcessFunction,
  type KeyedCoProcessFunction,
  type MapState,
  type ValueState,
} from '../index.ts';
import { heldSource } from '../testing/held-source.ts';
import { hashKey } from '../state/key.ts';

test('keyBy sends every record of a key to the one subtask that owns its key group', async () => {
  const env = new StreamEnvironment().setParallelism(3).setMaxParallelism(64);
  const out = env
    .fromGenerator({ count: 3000, generate: (i) => `key-${i % 97}` })
    .keyBy((k) => k)
    .map((k) => k)
    .collect();
  await env.execute('ownership');
  for (const { value, subtask } of out.records) {
    // Independently: key group = murmur3 % maxParallelism, owner = floor(keyGroup * parallelism / maxParallelism).
    const owner = Math.floor(((hashKey(value) % 64) * 3) / 64);
    assert.equal(subtask, owner, `${value}`);
  }
  assert.equal(out.records.length, 3000);
});

test('operators joined by forward edges are chained; keyBy starts a new task', () => {
  const env = new StreamEnvironment().setParallelism(2);
  env
    .fromGenerator({ count: 1, generate: (i) => i })
    .name('source')
    .map((i) => i)
    .name('double')
    .filter(() => true)
    .name('keep')
    .keyBy((i) => i)
    .map((i) => i)
    .name('after-key')
    .print();
  const graph = env.getJobGraph('chains');
  assert.deepEqual(
    graph.vertices.map((v) => v.nodes.map((n) => n.name)),
    [
      ['source', 'double', 'keep'],
      ['after-key', 'Print'],
    ],
  );
});

test('union merges streams and side outputs carry what a process function sends to a tag', async () => {
  const env = new StreamEnvironment().setParallelism(2);
  const odd = new OutputTag<number>('odd');
  const evens = env
    .fromCollection([1, 2, 3, 4])
    .union(env.fromCollection([5, 6, 7]))
    .rebalance()
    .process<number>({
      processElement(n, ctx, out) {
        if (n % 2 === 0) out.collect(n);
        else ctx.output(odd, n);
      },
    });
  const evenOut = evens.collect();
  const oddOut = evens.getSideOutput(odd).collect();
  await env.execute('side-outputs');
  assert.deepEqual(evenOut.values.sort(), [2, 4, 6]);
  assert.deepEqual(oddOut.values.sort(), [1, 3, 5, 7]);
});

test('connect + KeyedCoProcessFunction joins orders with payments per order id, in any arrival order', async () => {
  interface Order {
    id: string;
    item: string;
  }
  interface Payment {
    orderId: string;
    amount: number;
  }
  const env = new StreamEnvironment().setParallelism(3);
  const orders = env.fromCollection<Order>(
    Array.from({ length: 50 }, (_, i) => ({ id: `o${i}`, item: `item-${i % 7}` })),
  );
  const payments = env.fromCollection<Payment>(
    Array.from({ length: 50 }, (_, i) => ({ orderId: `o${49 - i}`, amount: i })),
  );
  const join: KeyedCoProcessFunction<string, Order, Payment, string> & {
    order?: ValueState<Order>;
    payment?: ValueState<Payment>;
  } = {
    open(ctx) {
      this.order = ctx.getState(valueState<Order>('order'));
      this.payment = ctx.getState(valueState<Payment>('payment'));
    },
    processElement1(order, _ctx, out) {
      const payment = this.payment!.value();
      if (payment) out.collect(`${order.id}:${order.item}:${payment.amount}`);
      else this.order!.update(order);
    },
    processElement2(payment, _ctx, out) {
      const order = this.order!.value();
      if (order) out.collect(`${order.id}:${order.item}:${payment.amount}`);
      else this.payment!.update(payment);
    },
  };
  const joined = orders
    .connect(payments)
    .keyBy(
      (o) => o.id,
      (p) => p.orderId,
    )
    .process(join)
    .collect();
  await env.execute('join');
  const expected = Array.from({ length: 50 }, (_, i) => `o${i}:item-${i % 7}:${49 - i}`).sort();
  assert.deepEqual(joined.values.sort(), expected);
});

test('the broadcast state pattern: rules reach every instance; events are checked against them per key', async () => {
  interface Rule {
    item: string;
    maxPerUser: number;
  }
  interface Buy {
    user: string;
    item: string;
  }
  const rulesDescriptor = mapState<string, number>('rules');
  const env = new StreamEnvironment().setParallelism(2);
  const rules = env.fromCollection<Rule>([
    { item: 'gpu', maxPerUser: 1 },
    { item: 'ram', maxPerUser: 2 },
  ]);
  // Events are released only once every instance holds both rules (a fixed delay fails on a loaded machine).
  const buys: Buy[] = Array.from({ length: 60 }, (_, i) => ({
    user: `u${i % 4}`,
    item: ['gpu', 'ram', 'ssd'][i % 3]!,
  }));
  const checker: KeyedBroadcastProcessFunction<string, Buy, Rule, string> & { counts?: MapState<string, number> } = {
    open(ctx) {
      this.counts = ctx.getMapState(mapState<string, number>('bought'));
    },
    processElement(buy, ctx, out) {
      const limit = ctx.getBroadcastState(rulesDescriptor).get(buy.item);
      const n = (this.counts!.get(buy.item) ?? 0) + 1;
      this.counts!.put(buy.item, n);
      if (limit !== undefined && n > limit) out.collect(`${ctx.getCurrentKey()}:${buy.item}:${n}`);
    },
    processBroadcastElement(rule, ctx) {
      ctx.getBroadcastState(rulesDescriptor).put(rule.item, rule.maxPerUser);
      rulesReceived++;
    },
  };
  let rulesReceived = 0;
  const events = queueSource<Buy>();
  const violations = env
    .fromSource(events.source, undefined, 'buys')
    .setParallelism(1)
    .keyBy((b) => b.user)
    .connect(rules.broadcast(rulesDescriptor as never))
    .process(checker)
    .collect();
  const run = env.execute('broadcast-rules');
  await waitUntil(() => rulesReceived === 2 * 2, 'both instances hold both rules', 30_000);
  events.push(...buys);
  events.end();
  await run;
  const expected: string[] = [];
  const seen = new Map<string, number>();
  const limits = new Map([
    ['gpu', 1],
    ['ram', 2],
  ]);
  for (const b of buys) {
    const n = (seen.get(`${b.user}/${b.item}`) ?? 0) + 1;
    seen.set(`${b.user}/${b.item}`, n);
    const limit = limits.get(b.item);
    if (limit !== undefined && n > limit) expected.push(`${b.user}:${b.item}:${n}`);
  }
  assert.deepEqual(violations.values.sort(), expected.sort());
});

test('windowAll counts every record per window in one instance', async () => {
  const env = new StreamEnvironment().setParallelism(3);
  const out = env
    .fromGenerator(
      { count: 1000, generate: (i) => i },
      forMonotonousTimestamps<number>().withTimestampAssigner((i) => i),
    )
    .windowAll(TumblingEventTimeWindows.of(100))
    .reduce((a, b) => a + b)
    .collect();
  await env.execute('window-all');
  const expected = Array.from({ length: 10 }, (_, w) => {
    let sum = 0;
    for (let i = w * 100; i < (w + 1) * 100; i++) sum += i;
    return sum;
  });
  assert.deepEqual(
    out.values.sort((a, b) => a - b),
    expected,
  );
});

test('processing-time windows fire when the processing-time clock passes their end, while the job runs', async () => {
  const clock = new ManualClock(0);
  const env = new StreamEnvironment().setProcessingTimeClock(clock);
  const held = heldSource<string>((output) => {
    ['a', 'b', 'a'].forEach((s) => output.collect(s));
    return false;
  });
  const out = env
    .fromSource(held.source)
    .keyBy((s) => s)
    .window(TumblingProcessingTimeWindows.of(1000))
    .count()
    .collect();
  const job = env.execute('processing-time');
  await new Promise((resolve) => setTimeout(resolve, 50));
  clock.advanceTo(998); // windows [0, 1000) end at 999: not yet
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual(out.values, []);
  clock.advanceTo(999);
  for (let i = 0; i < 100 && out.values.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(out.values.sort(), [1, 2]);
  held.release();
  await job;
  assert.equal(out.values.length, 2, 'no second firing at end of input');
});
