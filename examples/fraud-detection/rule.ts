// The fraud rule of the example, decided purely: a small transaction (< 1.00)
// followed, as the account's next transaction and less than a minute later, by
// a large one (> 500.00). The job's KeyedProcessFunction stores and times what this decides.

export const SMALL_AMOUNT = 1.0;
export const LARGE_AMOUNT = 500.0;
export const ONE_MINUTE_MS = 60_000;

/** A card transaction; `at` is its event time (epoch ms), `id` its position in the input. */
export interface Transaction {
  id: number;
  account: string;
  amount: number;
  at: number;
}

/** What an alert and the flag remember of a transaction. */
export type TransactionRef = Pick<Transaction, 'id' | 'amount' | 'at'>;

/** A small transaction and the large one that came next on the same account within a minute. */
export interface Alert {
  account: string;
  small: TransactionRef;
  large: TransactionRef;
}

export interface Decision {
  alert: Alert | undefined;
  /** The flag after this transaction (the account's last transaction while it is small): set by a small one, cleared by any other. */
  flag: TransactionRef | undefined;
}

/**
 * The account's next transaction after `flag` (which the caller clears once it is a minute old).
 *
 * @example
 * evaluate({ id: 1, amount: 0.5, at: 0 }, { id: 2, account: 'a', amount: 900, at: 10_000 }).alert // an alert
 */
export function evaluate(flag: TransactionRef | undefined, transaction: Transaction): Decision {
  const { id, account, amount, at } = transaction;
  const alert = flag && amount > LARGE_AMOUNT ? { account, small: flag, large: { id, amount, at } } : undefined;
  return { alert, flag: amount < SMALL_AMOUNT ? { id, amount, at } : undefined };
}

/** When a flag stops counting: a transaction at this time or later is not "within one minute". */
export function flagExpiresAt(flag: TransactionRef): number {
  return flag.at + ONE_MINUTE_MS;
}

/** Same-time transactions of an account are taken in input order. */
export function inEventTimeOrder(a: Transaction, b: Transaction): number {
  return a.at - b.at || a.id - b.id;
}

/** One line per alert, as the job prints it. */
export function describeAlert(alert: Alert): string {
  const { small, large } = alert;
  const time = (at: number) => new Date(at).toISOString().slice(11, 23);
  const seconds = ((large.at - small.at) / 1000).toFixed(1);
  return (
    `account ${alert.account}: ${small.amount.toFixed(2)} at ${time(small.at)} (#${small.id}), ` +
    `then ${large.amount.toFixed(2)} at ${time(large.at)} (#${large.id}), ${seconds} s later`
  );
}
