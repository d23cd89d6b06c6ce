// The fraud-detection example against the rule written plainly here: sort each
// account's transactions by time and alert on every small one whose next
// transaction is large and less than a minute later. The job runs on the
// mini-cluster at parallelism 1 and 3, on generated input and on edge cases.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { StreamEnvironment, forBoundedOutOfOrderness, forGenerator, type DataStream } from 'brook';
import { SeededRandom, seedFor } from '../../runtime/connectors/random.ts';
import { defaults, detectFraud, generateTransaction, LATE_TRANSACTIONS, transactions } from './job.ts';
import type { Alert, Transaction } from './rule.ts';

const root = join(import.meta.dirname, '..', '..');

/** The generator's contract: record i is generate(i, random seeded by (seed, i)), at any parallelism. */
function generatedInput(count: number, seed: number, accounts: number): Transaction[] {
  const random = new SeededRandom();
  return Array.from({ length: count }, (_, i) => generateTransaction(i, random.reset(seedFor(seed, i)), accounts));
}

/** Each account's transactions in time order (input order among equal times), as neighbouring pairs. */
function consecutivePairs(input: Transaction[]): [Transaction, Transaction][] {
  const byAccount = new Map<string, Transaction[]>();
  for (const t of input) {
    const list = byAccount.get(t.account) ?? [];
    list.push(t);
    byAccount.set(t.account, list);
  }
  const pairs: [Transaction, Transaction][] = [];
  for (const list of byAccount.values()) {
    list.sort((a, b) => a.at - b.at || a.id - b.id);
    for (let k = 1; k < list.length; k++) pairs.push([list[k - 1]!, list[k]!]);
  }
  return pairs;
}

const line = (account: string, small: Omit<Transaction, 'account'>, large: Omit<Transaction, 'account'>) =>
  `${account}: #${small.id} ${small.amount} @${small.at} -> #${large.id} ${large.amount} @${large.at}`;

function expectedAlerts(input: Transaction[]): string[] {
  return consecutivePairs(input)
    .filter(([a, b]) => a.amount < 1 && b.amount > 500 && b.at - a.at < 60_000)
    .map(([a, b]) => line(a.account, a, b))
    .sort();
}

const described = (alerts: Alert[]) => alerts.map((a) => line(a.account, a.small, a.large)).sort();

async function runJob(parallelism: number, build: (env: StreamEnvironment) => DataStream<Alert>) {
  const env = new StreamEnvironment().setParallelism(parallelism);
  const stream = build(env);
  const alerts = stream.collect();
  const late = stream.getSideOutput(LATE_TRANSACTIONS).collect();
  await env.execute(`fraud-detection-test-p${parallelism}`);
  return { alerts, late: late.values };
}

const options = { ...defaults, transactions: 30_000, seed: 7 };
const input = generatedInput(options.transactions, options.seed, options.accounts);
const expected = expectedAlerts(input);

test('the generated input exercises the rule: alerts, expired flags and out-of-order arrival all occur', () => {
  const pairs = consecutivePairs(input);
  const smallThenLarge = pairs.filter(([a, b]) => a.amount < 1 && b.amount > 500);
  assert.ok(expected.length >= 50, `only ${expected.length} alerts expected`);
  const expired = smallThenLarge.filter(([a, b]) => b.at - a.at >= 60_000).length;
  assert.ok(expired >= 20, `only ${expired} small-then-large pairs a minute or more apart`);
  // A small one, an ordinary one, then a large one within the minute: no alert, as the large one is not next.
  const next = new Map(pairs);
  const interrupted = pairs.filter(([a, b]) => {
    const c = next.get(b);
    return (
      a.amount < 1 && b.amount >= 1 && b.amount <= 500 && c !== undefined && c.amount > 500 && c.at - a.at < 60_000
    );
  }).length;
  assert.ok(interrupted >= 5, `only ${interrupted} small-ordinary-large triples within a minute`);
  const reordered = pairs.filter(([a, b]) => a.id > b.id).length;
  assert.ok(reordered >= 10, `only ${reordered} transactions of an account arrive before an earlier one`);
});

for (const parallelism of [1, 3]) {
  test(`at parallelism ${parallelism}, the job raises exactly the alerts of the rule applied in time order`, async () => {
    const { alerts, late } = await runJob(parallelism, (env) => detectFraud(transactions(env, options)));
    assert.deepEqual(late, [], 'no generated transaction should be late');
    assert.deepEqual(described(alerts.values), expected);
    // An alert carries the event time of the large transaction (the timer that found it).
    for (const { value, timestamp } of alerts.records) assert.equal(timestamp, value.large.at);
  });

  test(`at parallelism ${parallelism}, edge cases: bounds, one minute exactly, the next transaction only, ties, arrival order`, async () => {
    const T = Date.UTC(2026, 0, 1);
    // [account, amount, seconds after T]; ids are positions in this list, which is also the arrival order.
    const rows: [string, number, number][] = [
      ['just-in-time', 0.99, 0],
      ['one-minute', 0.5, 0],
      ['interrupted', 0.1, 0],
      ['re-armed', 0.1, 0],
      ['one-dollar', 1.0, 0],
      ['five-hundred', 0.5, 0],
      ['just-in-time', 500.01, 59.999],
      ['one-minute', 900, 60],
      ['interrupted', 20, 10],
      ['interrupted', 700, 20],
      ['re-armed', 0.2, 30],
      ['re-armed', 600, 80],
      ['one-dollar', 600, 1],
      ['five-hundred', 500.0, 1],
      ['arrives-late-in-order', 800, 20], // arrives before the small one that happened first
      ['arrives-late-in-order', 0.3, 10],
      ['same-millisecond', 0.4, 5],
      ['same-millisecond', 501, 5],
      ['only-once', 0.01, 0],
      ['only-once', 1000, 30],
      ['only-once', 1000, 40],
      ['flag-expired-then-new', 0.5, 0],
      ['flag-expired-then-new', 0.6, 100],
      ['flag-expired-then-new', 550, 159.999],
      // The ordinary one at 10 s clears the flag of 0 s, whose timer at 60 s the small one at 60 s needs too.
      ['shared-timer', 0.5, 0],
      ['shared-timer', 0.7, 60],
      ['shared-timer', 10, 10],
      ['shared-timer', 900, 70],
    ];
    const cases: Transaction[] = rows.map(([account, amount, seconds], id) => ({
      id,
      account,
      amount,
      at: T + seconds * 1000,
    }));
    const { alerts, late } = await runJob(parallelism, (env) =>
      detectFraud(
        env.fromGenerator(
          { count: cases.length, generate: (i) => cases[i]! },
          forBoundedOutOfOrderness<Transaction>(300_000).withTimestampAssigner((t) => t.at),
        ),
      ),
    );
    assert.deepEqual(late, []);
    const at = (id: number) => ({ id, amount: cases[id]!.amount, at: cases[id]!.at });
    assert.deepEqual(
      described(alerts.values),
      [
        line('just-in-time', at(0), at(6)),
        line('re-armed', at(10), at(11)),
        line('arrives-late-in-order', at(15), at(14)),
        line('same-millisecond', at(16), at(17)),
        line('only-once', at(18), at(19)),
        line('flag-expired-then-new', at(22), at(23)),
        line('shared-timer', at(25), at(27)),
      ].sort(),
    );
    // The plain computation agrees on these too.
    assert.deepEqual(described(alerts.values), expectedAlerts(cases));
  });
}

test('a transaction behind the watermark goes to the late side output, not through the rule', async () => {
  const T = Date.UTC(2026, 0, 1);
  const cases: Transaction[] = [
    { id: 0, account: 'a', amount: 5, at: T + 600_000 },
    { id: 1, account: 'a', amount: 0.5, at: T },
  ];
  const { alerts, late } = await runJob(1, (env) =>
    detectFraud(
      env
        .fromCollection(cases)
        // A watermark right after every record, so the second one arrives ten minutes behind it.
        .assignTimestampsAndWatermarks(
          forGenerator<Transaction>(() => ({
            onEvent: (_t, timestamp, output) => output.emitWatermark(timestamp - 1),
            onPeriodicEmit() {},
          })).withTimestampAssigner((t) => t.at),
        ),
    ),
  );
  assert.deepEqual(alerts.values, []);
  assert.deepEqual(late, [cases[1]]);
});

test('brook run prints one line per alert, the same as the rule computes; bad job arguments exit 2', () => {
  const brook = (...args: string[]) =>
    spawnSync(process.execPath, [join(root, 'bin', 'brook.js'), 'run', 'examples/fraud-detection/job.ts', ...args], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
  const result = brook('--parallelism', '3', '--', '--transactions', '5000', '--seed', '3', '--accounts', '100');
  assert.equal(result.status, 0, result.stderr);
  const printed = result.stdout
    .trim()
    .split('\n')
    .map((l) => {
      const match = /^alert:\d> account (\S+): .* \(#(\d+)\), then .* \(#(\d+)\),/.exec(l);
      assert.ok(match, `unexpected output line: ${l}`);
      return `${match[1]} #${match[2]} -> #${match[3]}`;
    })
    .sort();
  const plain = consecutivePairs(generatedInput(5000, 3, 100))
    .filter(([a, b]) => a.amount < 1 && b.amount > 500 && b.at - a.at < 60_000)
    .map(([a, b]) => `${a.account} #${a.id} -> #${b.id}`)
    .sort();
  assert.ok(plain.length > 0);
  assert.deepEqual(printed, plain);

  const bad = brook('--', '--transactions', 'many');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--transactions: expected a whole number >= 0, got "many"/);
});
