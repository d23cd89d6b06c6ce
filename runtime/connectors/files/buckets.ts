// Bucket assignment: the directory a record's part file goes to, from a date
// pattern over the record's event time or the wall clock (Flink's
// DateTimeBucketAssigner), as pure functions.

type Token = { field: 'yyyy' | 'MM' | 'dd' | 'HH' | 'mm' } | { literal: string };

const FIELDS = ['yyyy', 'MM', 'dd', 'HH', 'mm'] as const;

/** Tokens of a pattern, or why it is not one. Letters outside the fields must be quoted. */
export function parseBucketPattern(pattern: string): { tokens: Token[]; error?: undefined } | { error: string } {
  const tokens: Token[] = [];
  for (const [piece] of pattern.matchAll(/'[^']*'|yyyy|MM|dd|HH|mm|[\s\S]/g)) {
    if (piece.startsWith("'")) {
      if (piece.length < 2 || !piece.endsWith("'")) return { error: `unclosed quote in '${pattern}'` };
      tokens.push({ literal: piece.slice(1, -1) });
    } else if ((FIELDS as readonly string[]).includes(piece)) tokens.push({ field: piece as (typeof FIELDS)[number] });
    else if (piece === "'") return { error: `unclosed quote in '${pattern}'` };
    else if (/[A-Za-z]/.test(piece))
      return {
        error: `letter '${piece}' in '${pattern}' is not one of ${FIELDS.join(' ')}: quote literal text, e.g. 'dt='yyyy-MM-dd`,
      };
    else tokens.push({ literal: piece });
  }
  const problem = invalidBucketId(tokens.map((t) => ('literal' in t ? t.literal : '0')).join(''));
  return problem ? { error: problem } : { tokens };
}

/** Why a bucket id cannot be a relative directory, or undefined. */
export function invalidBucketId(id: string): string | undefined {
  if (id.startsWith('/')) return `bucket '${id}' must be relative (no leading /)`;
  if (id.split('/').some((segment) => segment === '..' || segment === '.'))
    return `bucket '${id}' must not contain . or .. segments`;
  if (/\/\/|[\\\0]/.test(id)) return `bucket '${id}' must not contain empty segments, backslashes or NUL`;
  return undefined;
}

/** Formats timestamps into bucket ids; remembers the last minute formatted (records arrive roughly in order). */
export function dateTimeBucketer(pattern: string, timeZone: string): (timestampMs: number) => string {
  const parsed = parseBucketPattern(pattern);
  if (parsed.error !== undefined) throw new Error(parsed.error);
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  });
  let cachedMinute = Number.NaN;
  let cachedId = '';
  return (timestampMs) => {
    const minute = Math.floor(timestampMs / 60_000);
    if (minute === cachedMinute) return cachedId;
    const parts = Object.fromEntries(format.formatToParts(timestampMs).map((p) => [p.type, p.value]));
    const values = {
      yyyy: parts.year!.padStart(4, '0'),
      MM: parts.month!,
      dd: parts.day!,
      HH: parts.hour!,
      mm: parts.minute!,
    };
    cachedId = parsed.tokens.map((t) => ('literal' in t ? t.literal : values[t.field])).join('');
    cachedMinute = minute;
    return cachedId;
  };
}
