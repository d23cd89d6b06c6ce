// Broadcast state across a savepoint and across a failure: rules received before
// the stop are back on every parallel instance after the restore (at the same
// parallelism or another), none is sent again, and later events are judged by them.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SeededRandom, seedFor } from '../connectors/random.ts';
import { staticSplitEnumerator, type Source, type SourceSplit } from '../connectors/source.ts';
import { JobControl } from '../execution/job-control.ts';
import { waitUntil } from '../testing/wait-until.ts';
import {
  StreamEnvironment,
  mapState,
  type BroadcastProcessFunction,
  type BroadcastState,
  type KeyedBroadcastProcessFunction,
  type MapState,
  type ReadOnlyBroadcastState,
} from '../index.ts';

const root = mkdtempSync(join(tmpdir(), 'brook-broadcast-restore-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface LogSplit extends SourceSplit {
  offset: number;
}

/**
 * An append-only log read from a checkpointed offset, as a Kafka topic is: a job
 * restored from a savepoint resumes at the savepoint's offset, so nothing read
 * before it is sent again. (queueSource checkpoints no split, so it cannot resume.)
 */
function logSource<T>() {
  const records: T[] = [];
  let ended = false;
  const waiting: (() => void)[] = [];
  const wake = () => {
    for (const resolve of waiting.splice(0)) resolve();
  };
  const source: Source<T, LogSplit> = {
    boundedness: 'continuous',
    createEnumerator: (context) => staticSplitEnumerator(context, [{ id: 'log', offset: 0 }]),
    createReader: () => {
      const splits: LogSplit[] = [];
      let noMoreSplits = false;
      const ready = () => (splits[0] ? splits[0].offset < records.length || ended : noMoreSplits);
      return {
        addSplits: (added) => void splits.push(...added.map((s) => ({ ...s }))),
        notifyNoMoreSplits: () => void (noMoreSplits = true),
        pollNext(output, maxRecords) {
          const split = splits[0];
          if (!split) return noMoreSplits ? 'end' : 'nothing';
          if (split.offset === records.length) return ended ? 'end' : 'nothing';
          const end = Math.min(records.length, split.offset + maxRecords);
          for (; split.offset < end; split.offset++) output.collect(records[split.offset]!);
          return 'more';
        },
        isAvailable: () => (ready() ? Promise.resolve() : new Promise<void>((resolve) => waiting.push(resolve))),
        snapshotState: () => splits.map((s) => ({ ...s })),
      };
    },
  };
  return {
    source,
    append(...values: T[]) {
      records.push(...values);
      wake();
    },
    end() {
      ended = true;
      wake();
    },
  };
}

type RuleChange = { item: string; max: number } | { item: string; removed: true };
interface Purchase {
  id: number;
  user: string;
  item: string;
  qty: number;
}
interface Judged {
  id: number;
  subtask: number;
  verdict: string;
}

// gpu's limit is raised and ssd's rule removed: only the latest table judges correctly.
const RULES: RuleChange[] = [
  { item: 'gpu', max: 2 },
  { item: 'ram', max: 2 },
  { item: 'ssd', max: 4 },
  { item: 'gpu', max: 3 },
  { item: 'ssd', removed: true },
];
const ITEMS = ['gpu', 'ram', 'ssd', 'hdd'];
const BATCH = 160;
const rulesDescriptor = mapState<string, number>('rules');
const boughtDescriptor = mapState<string, number>('bought');

function purchases(from: number, count: number): Purchase[] {
  const random = new SeededRandom();
  return Array.from({ length: count }, (_, i) => {
    const r = random.reset(seedFor(17, from + i));
    return { id: from + i, user: `u${r.int(0, 30)}`, item: r.pick(ITEMS), qty: r.int(1, 6) };
  });
}

/** The rule table the changes leave, computed without Brook. */
function ruleTable(changes: RuleChange[]): Map<string, number> {
  const table = new Map<string, number>();
  for (const change of changes) {
    if ('removed' in change) table.delete(change.item);
    else table.set(change.item, change.max);
  }
  return table;
}

const verdictOf = (amount: number, max: number | undefined) =>
  max === undefined ? 'no-rule' : amount > max ? 'over' : 'ok';

/** Non-keyed: each purchase's quantity against its item's limit. Keyed: a user's running total of the item. */
function expectedVerdicts(all: Purchase[], table: Map<string, number>, keyed: boolean): Map<number, string> {
  const totals = new Map<string, number>();
  const verdicts = new Map<number, string>();
  for (const p of all) {
    if (!keyed) {
      verdicts.set(p.id, verdictOf(p.qty, table.get(p.item)));
      continue;
    }
    const total = (totals.get(`${p.user}/${p.item}`) ?? 0) + p.qty;
    totals.set(`${p.user}/${p.item}`, total);
    verdicts.set(p.id, `${total}:${verdictOf(total, table.get(p.item))}`);
  }
  return verdicts;
}

const describeTable = (entries: [string, number][]) =>
  [...entries]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([item, max]) => `${item}=${max}`)
    .join(',');

/** What a run's function instances report to the test, beside their output. */
function newProbe() {
  return {
    rulesApplied: 0,
    processed: 0,
    /** The rule table each subtask held when it judged its first purchase of the run (attempt). */
    tables: new Map<number, string>(),
    sawTable(subtask: number, rules: ReadOnlyBroadcastState<string, number>) {
      if (!this.tables.has(subtask)) this.tables.set(subtask, describeTable(rules.entries()));
    },
    failAt: undefined as number | undefined,
  };
}
type Probe = ReturnType<typeof newProbe>;

function applyRule(change: RuleChange, probe: Probe, rules: BroadcastState<string, number>) {
  if ('removed' in change) rules.remove(change.item);
  else rules.put(change.item, change.max);
  probe.rulesApplied++;
}

function failOnce(probe: Probe, p: Purchase) {
  if (p.id !== probe.failAt) return;
  probe.failAt = undefined;
  throw new Error(`injected failure at purchase ${p.id}`);
}

function judgeEach(probe: Probe): BroadcastProcessFunction<Purchase, RuleChange, Judged> & { subtask?: number } {
  return {
    open(ctx) {
      this.subtask = ctx.subtaskIndex;
    },
    processElement(p, ctx, out) {
      failOnce(probe, p);
      const rules = ctx.getBroadcastState(rulesDescriptor);
      probe.sawTable(this.subtask!, rules);
      out.collect({ id: p.id, subtask: this.subtask!, verdict: verdictOf(p.qty, rules.get(p.item)) });
      probe.processed++;
    },
    processBroadcastElement(change, ctx) {
      applyRule(change, probe, ctx.getBroadcastState(rulesDescriptor));
    },
  };
}

function judgePerUser(probe: Probe): KeyedBroadcastProcessFunction<string, Purchase, RuleChange, Judged> & {
  subtask?: number;
  bought?: MapState<string, number>;
} {
  return {
    open(ctx) {
      this.subtask = ctx.subtaskIndex;
      this.bought = ctx.getMapState(boughtDescriptor);
    },
    processElement(p, ctx, out) {
      failOnce(probe, p);
      const rules = ctx.getBroadcastState(rulesDescriptor);
      probe.sawTable(this.subtask!, rules);
      const total = (this.bought!.get(p.item) ?? 0) + p.qty;
      this.bought!.put(p.item, total);
      out.collect({ id: p.id, subtask: this.subtask!, verdict: `${total}:${verdictOf(total, rules.get(p.item))}` });
      probe.processed++;
    },
    processBroadcastElement(change, ctx) {
      applyRule(change, probe, ctx.getBroadcastState(rulesDescriptor));
    },
  };
}

type Variant = 'BroadcastProcessFunction' | 'KeyedBroadcastProcessFunction';
type Logs = { rules: ReturnType<typeof logSource<RuleChange>>; purchases: ReturnType<typeof logSource<Purchase>> };

function build(env: StreamEnvironment, variant: Variant, logs: Logs, judgeUid = 'judge') {
  const probe = newProbe();
  const rules = env.fromSource(logs.rules.source).uid('rules').setParallelism(1).broadcast(rulesDescriptor);
  const input = env.fromSource(logs.purchases.source).uid('purchases').setParallelism(1);
  const judged =
    variant === 'KeyedBroadcastProcessFunction'
      ? input
          .keyBy((p) => p.user)
          .connect(rules)
          .process(judgePerUser(probe))
      : input.rebalance().connect(rules).process(judgeEach(probe));
  return { probe, out: judged.uid(judgeUid).collect() };
}

/** Each purchase's id with its verdict, in id order, to compare as one value. */
const byId = (judged: Judged[]) => [...judged].sort((a, b) => a.id - b.id).map((j) => `${j.id}:${j.verdict}`);
const expectedFor = (expected: Map<number, string>, batch: Purchase[]) =>
  batch.map((p) => `${p.id}:${expected.get(p.id)}`);

/** Rules, then a batch judged by them, a stop with a savepoint; a restored job judges a second batch with no rule sent. */
async function stopAndRestore(variant: Variant, from: number, to: number, name: string, restoredJudgeUid?: string) {
  const logs: Logs = { rules: logSource<RuleChange>(), purchases: logSource<Purchase>() };
  const firstEnv = new StreamEnvironment().setParallelism(from);
  const first = build(firstEnv, variant, logs);
  const control = new JobControl();
  const firstJob = firstEnv.execute(`${name}-before`, { control });
  logs.rules.append(...RULES);
  await waitUntil(() => first.probe.rulesApplied === from * RULES.length, 'every instance applied every rule', 20_000);
  const before = purchases(0, BATCH);
  logs.purchases.append(...before);
  await waitUntil(() => first.probe.processed === before.length, 'the first batch is judged', 20_000);
  const location = await control.stopWithSavepoint(`file://${root}/${name}`);
  assert.equal((await firstJob).savepoint, location);

  const secondEnv = new StreamEnvironment().setParallelism(to);
  const second = build(secondEnv, variant, logs, restoredJudgeUid);
  const afterRestore = purchases(BATCH, BATCH);
  logs.purchases.append(...afterRestore);
  logs.rules.end();
  logs.purchases.end();
  await secondEnv.execute(`${name}-after`, {
    fromSavepoint: location,
    allowNonRestoredState: restoredJudgeUid !== undefined,
  });
  return { first, second, before, afterRestore };
}

type Run = Awaited<ReturnType<typeof stopAndRestore>>;

/** The restored job against an independent computation of the rule table and the verdicts. */
function checkRestored(variant: Variant, to: number, { first, second, before, afterRestore }: Run) {
  const table = ruleTable(RULES);
  const expected = expectedVerdicts([...before, ...afterRestore], table, variant === 'KeyedBroadcastProcessFunction');
  // The data exercises what only the latest table gets right: gpu's raised limit, ssd's removed rule.
  assert.ok(afterRestore.some((p) => p.item === 'ssd' && expected.get(p.id)!.endsWith('no-rule')));
  assert.ok(afterRestore.some((p) => p.item === 'gpu' && expected.get(p.id)!.endsWith('ok')));
  assert.ok(afterRestore.some((p) => p.item === 'gpu' && expected.get(p.id)!.endsWith('over')));

  assert.deepEqual(byId(first.out.values), expectedFor(expected, before), 'the first batch, before the savepoint');
  assert.equal(second.probe.rulesApplied, 0, 'no rule was sent again after the restore');
  const everySubtask = Array.from({ length: to }, (_, s) => s);
  assert.deepEqual(
    everySubtask.map((s) => `${s}: ${second.probe.tables.get(s)}`),
    everySubtask.map((s) => `${s}: ${describeTable([...table])}`),
    'every restored instance holds the rule table',
  );
  const judgedBy = new Set(second.out.values.filter((j) => !j.verdict.endsWith('no-rule')).map((j) => j.subtask));
  assert.deepEqual([...judgedBy].sort(), everySubtask, 'every restored instance applied a rule');
  assert.deepEqual(byId(second.out.values), expectedFor(expected, afterRestore), 'the batch after the restore');
}

for (const variant of ['BroadcastProcessFunction', 'KeyedBroadcastProcessFunction'] as const) {
  for (const [from, to] of [
    [1, 1],
    [2, 2],
    [2, 3],
    [3, 1],
  ] as const) {
    test(`${variant}: rules in broadcast state before a savepoint at parallelism ${from} judge purchases after a restore at ${to}, none sent again`, async () => {
      const run = await stopAndRestore(variant, from, to, `${variant}-${from}-to-${to}`);
      checkRestored(variant, to, run);
    });
  }

  test(`${variant}: the check fails when the broadcast operator restores nothing (its uid changed)`, async () => {
    const run = await stopAndRestore(variant, 2, 2, `${variant}-lost`, 'judge-renamed');
    assert.throws(() => checkRestored(variant, 2, run), assert.AssertionError);
    assert.ok(
      run.second.out.values.every((j) => j.verdict.endsWith('no-rule')),
      'without its state, no instance knows a rule',
    );
  });

  test(`${variant}: after a failure, every instance restores the rules from the latest checkpoint, none sent again`, async () => {
    const parallelism = 2;
    const logs: Logs = { rules: logSource<RuleChange>(), purchases: logSource<Purchase>() };
    const env = new StreamEnvironment()
      .setParallelism(parallelism)
      .enableCheckpointing(20)
      .setCheckpointStorage(`file://${root}/failover-${variant}`)
      .setRestartStrategy({ kind: 'fixed-delay', attempts: 1, delayMs: 10 });
    const { probe, out } = build(env, variant, logs);
    let started = 0;
    let completed = 0;
    const attempts: { attempt: number; restoredFromSavepoint: boolean | undefined }[] = [];
    const job = env.execute(`failover-${variant}`, {
      checkpointListener: {
        started: (id) => void (started = Math.max(started, id)),
        completed: (id) => void (completed = Math.max(completed, id)),
        failed: () => {},
      },
      onAttemptStart: (attempt, restoredFrom) => {
        attempts.push({ attempt, restoredFromSavepoint: restoredFrom?.isSavepoint });
        // What the restarted instances hold when they judge their first purchase.
        probe.tables.clear();
      },
    });
    logs.rules.append(...RULES);
    await waitUntil(
      () => probe.rulesApplied === parallelism * RULES.length,
      'every instance applied every rule',
      20_000,
    );
    // A checkpoint triggered from now on has every rule in its broadcast state.
    const withRules = started + 1;
    await waitUntil(() => completed >= withRules, 'a checkpoint with the rules completed', 20_000);
    const before = purchases(0, BATCH);
    const afterFailure = purchases(BATCH, BATCH);
    probe.failAt = afterFailure[0]!.id;
    logs.purchases.append(...before, ...afterFailure);
    await waitUntil(() => attempts.length === 2, 'the job restarted', 20_000);
    logs.rules.end();
    logs.purchases.end();
    const result = await job;

    assert.equal(result.restarts, 1);
    assert.deepEqual(attempts, [
      { attempt: 0, restoredFromSavepoint: undefined },
      { attempt: 1, restoredFromSavepoint: false },
    ]);
    assert.equal(probe.rulesApplied, parallelism * RULES.length, 'no rule was sent again after the restart');
    const table = describeTable([...ruleTable(RULES)]);
    assert.deepEqual(
      [0, 1].map((s) => `${s}: ${probe.tables.get(s)}`),
      [0, 1].map((s) => `${s}: ${table}`),
      'every restarted instance holds the rule table',
    );
    // Purchases after the checkpoint are judged again after the restart, with the same verdicts.
    const expected = expectedVerdicts(
      [...before, ...afterFailure],
      ruleTable(RULES),
      variant === 'KeyedBroadcastProcessFunction',
    );
    assert.deepEqual(
      [...new Set(byId(out.values))],
      expectedFor(expected, [...before, ...afterFailure]),
      'every purchase judged by the rules, replays alike',
    );
  });
}
