// Two-input operators: connect + KeyedCoProcessFunction joining two keyed
// streams (with end-of-input timers and side outputs), and the broadcast state
// pattern, keyed (with applyToKeyedState) and not, each against a plain computation.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  OutputTag,
  StreamEnvironment,
  forMonotonousTimestamps,
  mapState,
  valueState,
  type BroadcastProcessFunction,
  type KeyedBroadcastProcessFunction,
  type KeyedCoProcessFunction,
  type MapState,
  type ValueState,
} from '../index.ts';
import { keyGroupForKey, subtaskForKeyGroup } from '../state/key-groups.ts';
import { queueSource } from '../testing/queue-source.ts';
import { waitUntil } from '../testing/wait-until.ts';

interface Order {
  id: string;
  customer: string;
  at: number;
}
interface Payment {
  orderId: string;
  amount: number;
  at: number;
}

const ORDERS = 1000;
const PAYMENTS = 900;
const ID_SPACE = 1200; // payment j pays order (j * 7919) mod 1200: distinct ids, some without an order

for (const parallelism of [1, 4]) {
  test(`connect + KeyedCoProcessFunction joins orders and payments by id; unmatched ones reach side outputs at end of input (parallelism ${parallelism})`, async () => {
    const unpaid = new OutputTag<string>('unpaid');
    const orphan = new OutputTag<string>('orphan');
    const join: KeyedCoProcessFunction<string, Order, Payment, string> & {
      order?: ValueState<Order>;
      payment?: ValueState<Payment>;
    } = {
      open(ctx) {
        this.order = ctx.getState(valueState<Order>('order'));
        this.payment = ctx.getState(valueState<Payment>('payment'));
      },
      processElement1(order, ctx, out) {
        const payment = this.payment!.value();
        if (payment) out.collect(`${order.id}:${order.customer}:${payment.amount}`);
        this.order!.update(order);
        ctx.timerService().registerEventTimeTimer(Number.MAX_SAFE_INTEGER - 1);
      },
      processElement2(payment, ctx, out) {
        const order = this.order!.value();
        if (order) out.collect(`${order.id}:${order.customer}:${payment.amount}`);
        this.payment!.update(payment);
        ctx.timerService().registerEventTimeTimer(Number.MAX_SAFE_INTEGER - 1);
      },
      onTimer(_timestamp, ctx) {
        if (this.payment!.value() === undefined) ctx.output(unpaid, ctx.getCurrentKey());
        if (this.order!.value() === undefined) ctx.output(orphan, ctx.getCurrentKey());
      },
    };
    const env = new StreamEnvironment().setParallelism(parallelism);
    const orders = env.fromGenerator<Order>(
      { count: ORDERS, seed: 1, generate: (i, r) => ({ id: `o${i}`, customer: `c${r.int(0, 50)}`, at: i }) },
      forMonotonousTimestamps<Order>().withTimestampAssigner((o) => o.at),
    );
    const payments = env.fromGenerator<Payment>(
      {
        count: PAYMENTS,
        seed: 2,
        generate: (j, r) => ({ orderId: `o${(j * 7919) % ID_SPACE}`, amount: r.int(1, 500), at: j }),
      },
      forMonotonousTimestamps<Payment>().withTimestampAssigner((p) => p.at),
    );
    const joined = orders
      .connect(payments)
      .keyBy(
        (o) => o.id,
        (p) => p.orderId,
      )
      .process(join);
    const joinedOut = joined.collect();
    const unpaidOut = joined.getSideOutput(unpaid).collect();
    const orphanOut = joined.getSideOutput(orphan).collect();
    await env.execute('join');

    // Independently: the same records, joined with a Map.
    const { SeededRandom, seedFor } = await import('../connectors/random.ts');
    const random = new SeededRandom();
    const customers = new Map<string, string>();
    for (let i = 0; i < ORDERS; i++) customers.set(`o${i}`, `c${random.reset(seedFor(1, i)).int(0, 50)}`);
    const expectedJoined: string[] = [];
    const paid = new Set<string>();
    const expectedOrphans: string[] = [];
    for (let j = 0; j < PAYMENTS; j++) {
      const id = `o${(j * 7919) % ID_SPACE}`;
      const amount = random.reset(seedFor(2, j)).int(1, 500);
      paid.add(id);
      const customer = customers.get(id);
      if (customer) expectedJoined.push(`${id}:${customer}:${amount}`);
      else expectedOrphans.push(id);
    }
    const expectedUnpaid = [...customers.keys()].filter((id) => !paid.has(id));
    assert.ok(expectedJoined.length > 0 && expectedUnpaid.length > 0 && expectedOrphans.length > 0);
    assert.deepEqual(joinedOut.values.sort(), expectedJoined.sort());
    assert.deepEqual(unpaidOut.values.sort(), expectedUnpaid.sort());
    assert.deepEqual(orphanOut.values.sort(), expectedOrphans.sort());
  });
}

interface Rule {
  item: string;
  max: number;
}
interface Buy {
  user: string;
  item: string;
}

test('broadcast state: rules reach every instance, processElement checks them per key, applyToKeyedState visits (and resets) every key once', async () => {
  const parallelism = 3;
  const maxParallelism = 128;
  const rulesDescriptor = mapState<string, number>('rules');
  const boughtDescriptor = mapState<string, number>('bought');
  const rulesSeen: string[] = [];
  const processed = { count: 0 };
  const checker: KeyedBroadcastProcessFunction<string, Buy, Rule | 'report', string> & {
    bought?: MapState<string, number>;
    subtask?: number;
  } = {
    open(ctx) {
      this.bought = ctx.getMapState(boughtDescriptor);
      this.subtask = ctx.subtaskIndex;
    },
    processElement(buy, ctx, out) {
      const limit = ctx.getBroadcastState(rulesDescriptor).get(buy.item);
      const n = (this.bought!.get(buy.item) ?? 0) + 1;
      this.bought!.put(buy.item, n);
      if (limit !== undefined && n > limit) out.collect(`over:${ctx.getCurrentKey()}:${buy.item}:${n}`);
      processed.count++;
    },
    processBroadcastElement(rule, ctx, out) {
      if (rule === 'report') {
        // Report every key's purchases, then start counting afresh.
        ctx.applyToKeyedState(boughtDescriptor, (user, bought) => {
          const items = bought
            .entries()
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([item, n]) => `${item}=${n}`);
          out.collect(`report:${this.subtask}:${String(user)}:${items.join(',')}`);
          bought.clear();
        });
        return;
      }
      ctx.getBroadcastState(rulesDescriptor).put(rule.item, rule.max);
      rulesSeen.push(`${this.subtask}:${rule.item}`);
    },
  };
  const env = new StreamEnvironment().setParallelism(parallelism).setMaxParallelism(maxParallelism);
  const rules = queueSource<Rule | 'report'>();
  const buys = queueSource<Buy>();
  const out = env
    .fromSource(buys.source)
    .setParallelism(1)
    .keyBy((b) => b.user)
    .connect(env.fromSource(rules.source).setParallelism(1).broadcast(rulesDescriptor))
    .process(checker)
    .collect();
  const job = env.execute('broadcast-rules');

  const ruleList: Rule[] = [
    { item: 'gpu', max: 1 },
    { item: 'ram', max: 2 },
  ];
  rules.push(...ruleList);
  await waitUntil(() => rulesSeen.length === parallelism * ruleList.length, 'every instance has the rules');
  const firstBuys = Array.from({ length: 90 }, (_, i) => ({ user: `u${i % 7}`, item: ['gpu', 'ram', 'ssd'][i % 3]! }));
  buys.push(...firstBuys);
  await waitUntil(() => processed.count === firstBuys.length, 'the first buys are processed');
  rules.push('report');
  await waitUntil(() => out.values.filter((v) => v.startsWith('report:')).length === 7, 'every user is reported');
  const secondBuys = Array.from({ length: 40 }, (_, i) => ({ user: `u${i % 5}`, item: ['ram', 'gpu'][i % 2]! }));
  buys.push(...secondBuys);
  await waitUntil(() => processed.count === firstBuys.length + secondBuys.length, 'the second buys are processed');
  rules.end();
  buys.end();
  await job;

  assert.deepEqual(
    rulesSeen.sort(),
    [0, 1, 2].flatMap((s) => ruleList.map((r) => `${s}:${r.item}`)).sort(),
    'each instance got each rule once',
  );
  // Independently: count per user and item, report and reset between the two batches.
  const limits = new Map(ruleList.map((r) => [r.item, r.max]));
  const counts = new Map<string, Map<string, number>>();
  const expected: string[] = [];
  const buyAll = (batch: Buy[]) => {
    for (const b of batch) {
      const items = counts.get(b.user) ?? new Map<string, number>();
      const n = (items.get(b.item) ?? 0) + 1;
      items.set(b.item, n);
      counts.set(b.user, items);
      const limit = limits.get(b.item);
      if (limit !== undefined && n > limit) expected.push(`over:${b.user}:${b.item}:${n}`);
    }
  };
  buyAll(firstBuys);
  for (const [user, items] of counts) {
    const owner = subtaskForKeyGroup(maxParallelism, parallelism, keyGroupForKey(user, maxParallelism));
    const listed = [...items].sort(([a], [b]) => a.localeCompare(b)).map(([item, n]) => `${item}=${n}`);
    expected.push(`report:${owner}:${user}:${listed.join(',')}`);
  }
  counts.clear();
  buyAll(secondBuys);
  assert.deepEqual(out.values.sort(), expected.sort());
});

test('a non-keyed stream connected to a broadcast stream sees the broadcast state on every instance', async () => {
  const parallelism = 2;
  const stopwordsDescriptor = mapState<string, boolean>('stopwords');
  const seen = { rules: 0, words: 0 };
  const filter: BroadcastProcessFunction<string, string, string> = {
    processElement(word, ctx, out) {
      if (!ctx.getBroadcastState(stopwordsDescriptor).contains(word)) out.collect(word);
      seen.words++;
    },
    processBroadcastElement(stopword, ctx) {
      ctx.getBroadcastState(stopwordsDescriptor).put(stopword, true);
      seen.rules++;
    },
  };
  const env = new StreamEnvironment().setParallelism(parallelism);
  const stopwords = queueSource<string>();
  const words = queueSource<string>();
  const out = env
    .fromSource(words.source)
    .setParallelism(1)
    .rebalance()
    .connect(env.fromSource(stopwords.source).setParallelism(1).broadcast(stopwordsDescriptor))
    .process(filter)
    .collect();
  const job = env.execute('stopwords');
  stopwords.push('the', 'a', 'of');
  await waitUntil(() => seen.rules === 3 * parallelism, 'every instance has the stopwords');
  const text = 'the state of a stream is the state of its keys'.split(' ');
  words.push(...text);
  await waitUntil(() => seen.words === text.length, 'every word is processed');
  stopwords.end();
  words.end();
  await job;
  assert.deepEqual(out.values.sort(), text.filter((w) => !['the', 'a', 'of'].includes(w)).sort());
  assert.deepEqual(new Set(out.records.map((r) => r.subtask)), new Set([0, 1]), 'both instances filtered words');
});

test('a broadcast state not declared in broadcast(...) is refused by name instead of being a fresh empty map', async () => {
  const declared = mapState<string, boolean>('stopwords');
  const typo = mapState<string, boolean>('stop-words');
  const env = new StreamEnvironment();
  env
    .fromCollection(['word'])
    .connect(env.fromCollection(['rule']).broadcast(declared))
    .process<string>({
      processElement(word, ctx, out) {
        out.collect(word);
      },
      processBroadcastElement(rule, ctx) {
        ctx.getBroadcastState(typo).put(rule, true);
      },
    })
    .collect();
  await assert.rejects(
    env.execute('undeclared-broadcast-state'),
    /broadcast state 'stop-words' was not declared: pass its descriptor to broadcast\(\.\.\.\) \(declared: 'stopwords'\)/,
  );
});
