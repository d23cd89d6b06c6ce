// Pure checks of the labelled running-count job's output (jobs/labelled-count.ts)
// against an independent computation of the counts: duplicates, gaps, whether
// a deployment's counts continue its predecessor's or start afresh, and the
// output gap around an upgrade.

/** One output record of the job: `key:n@label`, with its times in ms since the epoch. */
export interface CountRecord {
  key: string;
  n: number;
  label: string;
  /** When the broker appended it to the output topic (LogAppendTime). */
  appended: number;
  /** Its event time: the timestamp of the input record it counts, which the feed's producer set when sending. */
  eventTime: number;
}

/** Parses `key:n@label`; throws naming the record when it is not that shape. */
export function parseCountRecord(value: string, appended: number, eventTime = appended): CountRecord {
  const match = /^(.+):(\d+)@(.+)$/.exec(value);
  if (!match) throw new Error(`output record '${value}' is not key:n@label`);
  return { key: match[1]!, n: Number(match[2]), label: match[3]!, appended, eventTime };
}

export interface ExactlyOnceReport {
  /** `key:n` values written more than once (across every label). */
  duplicates: string[];
  /** Expected `key:n` values never written. */
  missing: string[];
  /** Written values the input does not explain. */
  unexpected: string[];
}

/** Compares `output` (of any labels) with `expected` (`key:n` per input record, in input order). */
export function exactlyOnce(expected: readonly string[], output: readonly CountRecord[]): ExactlyOnceReport {
  const counts = new Map<string, number>();
  for (const r of output) counts.set(`${r.key}:${r.n}`, (counts.get(`${r.key}:${r.n}`) ?? 0) + 1);
  const wanted = new Set(expected);
  return {
    duplicates: [...counts].filter(([, c]) => c > 1).map(([v]) => v),
    missing: expected.filter((v) => !counts.has(v)),
    unexpected: [...counts.keys()].filter((v) => !wanted.has(v)),
  };
}

/**
 * What a look at the output while the job still runs can already refute: a count written twice, a key
 * whose counts under `after` do not carry on from `before`, or no output under `after` at all.
 */
export function continuityProblems(output: readonly CountRecord[], before: string, after: string): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const r of output) {
    const value = `${r.key}:${r.n}`;
    if (seen.has(value)) twice.add(value);
    seen.add(value);
  }
  const none = output.some((r) => r.label === after) ? [] : [`no output under ${after}`];
  return [...none, ...[...twice].map((v) => `${v} written twice`), ...discontinuities(output, before, after)];
}

/** First and last count written under `label`, per key. */
export function countRanges(
  output: readonly CountRecord[],
  label: string,
): Map<string, { first: number; last: number }> {
  const ranges = new Map<string, { first: number; last: number }>();
  for (const r of output) {
    if (r.label !== label) continue;
    const range = ranges.get(r.key);
    if (!range) ranges.set(r.key, { first: r.n, last: r.n });
    else ranges.set(r.key, { first: Math.min(range.first, r.n), last: Math.max(range.last, r.n) });
  }
  return ranges;
}

/**
 * Keys whose counts under `after` do not carry on exactly where those under `before` stopped (first
 * count after = last count before + 1), each with both ranges. Keys `after` never wrote are not judged.
 */
export function discontinuities(output: readonly CountRecord[], before: string, after: string): string[] {
  const old = countRanges(output, before);
  const next = countRanges(output, after);
  const problems: string[] = [];
  for (const [key, range] of next) {
    const expectedFirst = (old.get(key)?.last ?? 0) + 1;
    if (range.first !== expectedFirst) {
      problems.push(`${key}: ${before} ${JSON.stringify(old.get(key) ?? null)}, ${after} ${JSON.stringify(range)}`);
    }
  }
  return problems;
}

/**
 * Per key, the counts missing below the highest one written under `labels`, or written twice: what a
 * job that was cut off (cancelled, its pods deleted) may not leave. Its output must be a gapless prefix.
 */
export function prefixProblems(output: readonly CountRecord[], labels: readonly string[]): string[] {
  const byKey = new Map<string, number[]>();
  for (const r of output) if (labels.includes(r.label)) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r.n]);
  const problems: string[] = [];
  for (const [key, ns] of byKey) {
    const sorted = ns.sort((a, b) => a - b);
    const bad = sorted.findIndex((n, i) => n !== i + 1);
    if (bad >= 0)
      problems.push(`${key}: count ${bad + 1} is ${sorted[bad]} (${sorted.length} written, up to ${sorted.at(-1)})`);
  }
  return problems;
}

/** Keys whose counts under `label` do not start at 1 (state carried over where none should be). */
export function notStartingAtOne(output: readonly CountRecord[], label: string): string[] {
  return [...countRanges(output, label)].filter(([, r]) => r.first !== 1).map(([key, r]) => `${key} from ${r.first}`);
}

/**
 * The output gap of a change of deployment: from the last record written under `before` to the first
 * under `after` (broker append times), in ms.
 */
export function handoverGap(output: readonly CountRecord[], before: string, after: string): number {
  const last = Math.max(...output.filter((r) => r.label === before).map((r) => r.appended));
  const first = Math.min(...output.filter((r) => r.label === after).map((r) => r.appended));
  if (!Number.isFinite(last) || !Number.isFinite(first)) {
    throw new Error(`no output under '${Number.isFinite(last) ? after : before}' to measure a gap from`);
  }
  return first - last;
}

/** The longest time without output between `from` and `to` (append times; the ends count as output). */
export function longestSilence(output: readonly CountRecord[], from: number, to: number): number {
  const times = output
    .map((r) => r.appended)
    .filter((t) => t >= from && t <= to)
    .sort((a, b) => a - b);
  let longest = 0;
  let previous = from;
  for (const t of [...times, to]) {
    longest = Math.max(longest, t - previous);
    previous = t;
  }
  return longest;
}

/** The longest a record of `from`..`to` (event time) waited between being sent and reaching the output. */
export function longestLatency(output: readonly CountRecord[], from: number, to: number): number {
  let longest = 0;
  for (const r of output)
    if (r.eventTime >= from && r.eventTime <= to) longest = Math.max(longest, r.appended - r.eventTime);
  return longest;
}
