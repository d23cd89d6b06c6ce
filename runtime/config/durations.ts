// Durations ("10s", "500ms", "5m", "1h", or plain milliseconds) and sizes
// ("64mb", "512kb", or plain bytes) as configuration writes them, parsed to
// numbers once at the boundary and formatted back for --print-config.
import { z } from 'zod';
import { describeValue as describe } from './errors.ts';

const durationUnits: Record<string, number> = {
  ms: 1,
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const sizeUnits: Record<string, number> = {
  b: 1,
  kb: 1024,
  mb: 1024 ** 2,
  gb: 1024 ** 3,
  tb: 1024 ** 4,
};

// Flink writes "5 min" and "10 s"; accept the space and the unit's case.
const quantity = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i;

function parseQuantity(value: unknown, units: Record<string, number>, bare: string): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = quantity.exec(value);
  if (!match) return undefined;
  const unit = match[2]!.toLowerCase() || bare;
  const factor = units[unit];
  return factor === undefined ? undefined : Math.round(Number(match[1]) * factor);
}

/** Milliseconds of "10s", "500ms", "5m", "1h", "2d" or a plain number of ms; undefined when not a duration. */
export function parseDuration(value: unknown): number | undefined {
  return parseQuantity(value, durationUnits, 'ms');
}

/** Bytes of "64mb", "512kb", "1gb" (powers of 1024) or a plain number of bytes; undefined when not a size. */
export function parseSize(value: unknown): number | undefined {
  return parseQuantity(value, sizeUnits, 'b');
}

function formatQuantity(amount: number, units: [string, number][]): string {
  for (const [unit, factor] of units) if (amount >= factor && amount % factor === 0) return `${amount / factor}${unit}`;
  return `${amount}${units.at(-1)![0]}`;
}

/** The largest exact unit: 90000 → "90s", 3600000 → "1h", 1500 → "1500ms". */
export function formatDuration(ms: number): string {
  return formatQuantity(ms, [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ]);
}

/** The largest exact unit: 67108864 → "64mb". */
export function formatSize(bytes: number): string {
  return formatQuantity(bytes, [
    ['gb', 1024 ** 3],
    ['mb', 1024 ** 2],
    ['kb', 1024],
    ['b', 1],
  ]);
}

/** Tags the schemas below so --print-config and the reference know to format the number back. */
export const quantityKinds = z.registry<{ quantity: 'duration' | 'size' }>();

/** A duration in configuration: the parsed value is milliseconds. */
export function duration(options: { positive?: boolean } = {}) {
  const schema = z.unknown().transform((value, ctx): number => {
    const ms = parseDuration(value);
    if (ms === undefined)
      ctx.addIssue({ code: 'custom', message: `expected a duration like 10s, got ${describe(value)}` });
    else if (options.positive && ms === 0) ctx.addIssue({ code: 'custom', message: 'must be longer than 0ms' });
    else return ms;
    return z.NEVER;
  });
  quantityKinds.add(schema, { quantity: 'duration' });
  return schema;
}

/** A size in configuration: the parsed value is bytes. */
export function size() {
  const schema = z.unknown().transform((value, ctx): number => {
    const bytes = parseSize(value);
    if (bytes !== undefined) return bytes;
    ctx.addIssue({ code: 'custom', message: `expected a size like 64mb, got ${describe(value)}` });
    return z.NEVER;
  });
  quantityKinds.add(schema, { quantity: 'size' });
  return schema;
}
