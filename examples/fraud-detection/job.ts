// Fraud detection, after Flink's fraud-detection walkthrough: generated card
// transactions, keyed by account, raise an alert when a small one is followed
// within a minute by a large one (rule.ts). Prints one line per alert.
//
//   brook run examples/fraud-detection/job.ts --parallelism 3 [-- --transactions N --accounts N --seed N --rate N]
import { parseArgs } from 'node:util';
import {
  ConfigurationError,
  OutputTag,
  forBoundedOutOfOrderness,
  mapState,
  valueState,
  type Collector,
  type DataStream,
  type KeyedProcessContext,
  type KeyedProcessFunction,
  type MapState,
  type OnTimerContext,
  type RuntimeContext,
  type SeededRandom,
  type StreamEnvironment,
  type ValueState,
} from 'brook';
import {
  describeAlert,
  evaluate,
  flagExpiresAt,
  inEventTimeOrder,
  type Alert,
  type Transaction,
  type TransactionRef,
} from './rule.ts';

/** Event time of the first generated transaction. */
export const START = Date.UTC(2026, 0, 1);
/** Generated transaction i happens at START + i × SPACING_MS plus a delay of up to MAX_DELAY_MS... */
export const SPACING_MS = 250;
/** ...so transactions arrive out of order by up to this much: the watermarks allow for it. */
export const MAX_DELAY_MS = 5_000;

export interface TransactionOptions {
  /** Transactions in total; unbounded when undefined. */
  transactions: number | undefined;
  accounts: number;
  seed: number;
  /** Transactions per second; as fast as possible when undefined. */
  rate: number | undefined;
}

export const defaults: TransactionOptions = { transactions: 30_000, accounts: 300, seed: 42, rate: undefined };

/** Transaction `i` of the input: 10 % small (0.01–0.99), 5 % large (500.01–2,499.99), the rest 1.00–500.00. */
export function generateTransaction(i: number, random: SeededRandom, accounts: number): Transaction {
  const account = `acct-${random.int(0, accounts)}`;
  const kind = random.next();
  const cents = kind < 0.1 ? random.int(1, 100) : kind < 0.15 ? random.int(50_001, 250_000) : random.int(100, 50_001);
  return { id: i, account, amount: cents / 100, at: START + i * SPACING_MS + random.int(0, MAX_DELAY_MS + 1) };
}

/** Transactions that arrive after the watermark passed their time; printed, never dropped silently. */
export const LATE_TRANSACTIONS = new OutputTag<Transaction>('late-transactions');

/**
 * Applies the rule to each account's transactions in event-time order. Transactions can arrive out of order (from
 * several source subtasks, with delays), so each waits in keyed state until the watermark passes its time, when an
 * event-time timer takes it out. The flag is keyed ValueState, cleared by an event-time timer a minute after it was set.
 */
export class FraudDetector implements KeyedProcessFunction<string, Transaction, Alert> {
  private pending!: MapState<number, Transaction[]>;
  private flag!: ValueState<TransactionRef>;

  open(context: RuntimeContext): void {
    this.pending = context.getMapState(mapState<number, Transaction[]>('pending'));
    this.flag = context.getState(valueState<TransactionRef>('flag'));
  }

  processElement(transaction: Transaction, ctx: KeyedProcessContext<string>): void {
    const timers = ctx.timerService();
    if (transaction.at <= timers.currentWatermark()) {
      ctx.output(LATE_TRANSACTIONS, transaction);
      return;
    }
    this.pending.put(transaction.at, [...(this.pending.get(transaction.at) ?? []), transaction]);
    timers.registerEventTimeTimer(transaction.at);
  }

  onTimer(timestamp: number, ctx: OnTimerContext<string>, out: Collector<Alert>): void {
    // A timer is unique per key and time, so one can be due both for the flag and for waiting transactions:
    // the flag expires first, as a transaction a full minute after the small one is not "within one minute".
    const flag = this.flag.value();
    if (flag && flagExpiresAt(flag) <= timestamp) this.flag.clear();
    const due = this.pending.get(timestamp);
    if (!due) return;
    this.pending.remove(timestamp);
    for (const transaction of due.sort(inEventTimeOrder)) this.apply(transaction, ctx, out);
  }

  private apply(transaction: Transaction, ctx: KeyedProcessContext<string>, out: Collector<Alert>): void {
    const before = this.flag.value();
    const { alert, flag } = evaluate(before, transaction);
    if (alert) out.collect(alert);
    const timers = ctx.timerService();
    if (flag) {
      this.flag.update(flag);
      timers.registerEventTimeTimer(flagExpiresAt(flag));
    } else {
      this.flag.clear();
    }
    // The old flag's timer is not needed any more, unless transactions wait for that same time.
    const stale = before && flagExpiresAt(before);
    if (stale && stale !== (flag && flagExpiresAt(flag)) && !this.pending.contains(stale)) {
      timers.deleteEventTimeTimer(stale);
    }
  }
}

/** The generated transactions, with event time and watermarks. */
export function transactions(env: StreamEnvironment, options: TransactionOptions): DataStream<Transaction> {
  return env
    .fromGenerator<Transaction>(
      {
        count: options.transactions,
        seed: options.seed,
        recordsPerSecond: options.rate,
        generate: (i, random) => generateTransaction(i, random, options.accounts),
      },
      forBoundedOutOfOrderness<Transaction>(MAX_DELAY_MS).withTimestampAssigner((t) => t.at),
      'transactions',
    )
    .uid('transactions');
}

/** The alerts of the rule over transactions that carry event time; late ones go to {@link LATE_TRANSACTIONS}. */
export function detectFraud(input: DataStream<Transaction>): DataStream<Alert> {
  return input
    .keyBy((t) => t.account)
    .process(new FraudDetector())
    .uid('fraud-detector')
    .name('fraud detector');
}

/** `--transactions N` (0: no end), `--accounts N`, `--seed N`, `--rate N` (per second); every problem reported at once. */
export function parseJobArgs(args: string[]): TransactionOptions {
  const flag = { type: 'string' } as const;
  const known = { transactions: flag, accounts: flag, seed: flag, rate: flag };
  let values: Partial<Record<keyof typeof known, string>>;
  try {
    ({ values } = parseArgs({ args, options: known, strict: true, allowPositionals: false }));
  } catch (error) {
    const message = (error as Error).message.split('. ')[0]!;
    const names = Object.keys(known).map((n) => `--${n}`);
    throw new ConfigurationError([{ where: 'job arguments', message: `${message} (known: ${names.join(', ')})` }]);
  }
  const problems: { where: string; message: string }[] = [];
  const whole = (name: keyof typeof known, min: number): number | undefined => {
    const raw = values[name];
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (raw.trim() !== '' && Number.isSafeInteger(n) && n >= min) return n;
    problems.push({ where: `--${name}`, message: `expected a whole number >= ${min}, got ${JSON.stringify(raw)}` });
    return undefined;
  };
  const count = whole('transactions', 0);
  const options: TransactionOptions = {
    transactions: count === 0 ? undefined : (count ?? defaults.transactions),
    accounts: whole('accounts', 1) ?? defaults.accounts,
    seed: whole('seed', 0) ?? defaults.seed,
    rate: whole('rate', 1) ?? defaults.rate,
  };
  if (problems.length > 0) throw new ConfigurationError(problems);
  return options;
}

export default function build(env: StreamEnvironment, args: string[]): void {
  const alerts = detectFraud(transactions(env, parseJobArgs(args)));
  alerts.map(describeAlert).name('describe alert').print('alert');
  alerts.getSideOutput(LATE_TRANSACTIONS).print('late');
}
