// Keeping secrets out of log lines. Three layers (docs/logging.md): values
// under secret-looking keys are masked as objects are written (the config's
// own rule, runtime/config/masking.ts), passwords in URLs are masked in any
// text, and the secret values the configuration holds are scrubbed from every
// finished line, wherever they ended up (an error message, an unknown field).
import { isSecretKey, MASK } from '../config/masking.ts';

// From `://` on (the scheme does not matter), with bounded repetitions: fast on long lines, never quadratic.
const urlPassword = /(:\/\/[^:/@\s"]{0,256}:)([^@/\s"]{1,256})@/g;

/** `... redis://user:pw@host ...` → `... redis://user:***@host ...`, anywhere in `text`. */
export function maskUrlPasswords(text: string): string {
  return text.includes('://') ? text.replace(urlPassword, `$1${MASK}@`) : text;
}

const limits = { depth: 6, items: 50 };

/**
 * A JSON-safe copy of `value` for a log line: secrets masked by key (as
 * `--print-config` masks them), URL passwords masked in strings, cycles cut,
 * depth and array length bounded (an error may carry a client with sockets).
 */
export function maskedCopy(value: unknown, key?: string, parent?: string, seen?: WeakSet<object>, depth = 0): unknown {
  if (key !== undefined && isSecretKey(key, parent) && value !== undefined && value !== null && value !== '')
    return MASK;
  if (typeof value === 'string') return maskUrlPasswords(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `<${value.byteLength} bytes>`;
  // Made only for objects: most fields of a line are scalars.
  const visited = seen ?? new WeakSet<object>();
  if (visited.has(value)) return '[Circular]';
  if (depth >= limits.depth) return Array.isArray(value) ? '[Array]' : '[Object]';
  visited.add(value);
  try {
    if (Array.isArray(value)) {
      const items = value.slice(0, limits.items).map((item) => maskedCopy(item, undefined, key, visited, depth + 1));
      if (value.length > limits.items) items.push(`... ${value.length - limits.items} more`);
      return items;
    }
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const masked = maskedCopy(v, k, key, visited, depth + 1);
      if (masked !== undefined) copy[k] = masked;
    }
    return copy;
  } finally {
    visited.delete(value);
  }
}

/** Secrets shorter than this are masked by key only: scrubbing them from text would mangle ordinary words. */
export const MIN_SCRUBBED_LENGTH = 4;

/**
 * The secret values in a configuration (or any settings object): strings under
 * secret-looking keys and the passwords of URLs, as `--print-config` masks them.
 *
 * @example
 * secretValues({ kafka: { sasl: { username: 'u', password: 'hunter22' } } }) // ['hunter22']
 */
export function secretValues(settings: unknown): string[] {
  const found = new Set<string>();
  const walk = (value: unknown, key: string | undefined, parent: string | undefined, depth: number): void => {
    if (depth > 20) return;
    if (typeof value === 'string') {
      if (key !== undefined && isSecretKey(key, parent)) found.add(value);
      else for (const match of value.matchAll(urlPassword)) found.add(match[2]!);
      return;
    }
    if (Array.isArray(value)) for (const item of value) walk(item, undefined, key, depth + 1);
    else if (typeof value === 'object' && value !== null)
      for (const [k, v] of Object.entries(value)) walk(v, k, key, depth + 1);
  };
  walk(settings, undefined, undefined, 0);
  return [...found].filter((secret) => secret.length >= MIN_SCRUBBED_LENGTH && secret !== MASK);
}

/**
 * A function that replaces every occurrence of the secrets in a finished JSON
 * line, as written and as JSON escapes it (a secret with a quote or backslash).
 */
export function lineScrubber(secrets: readonly string[]): (line: string) => string {
  const forms = [...new Set(secrets.flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))]
    // The longest first, so a secret containing another is replaced whole.
    .sort((a, b) => b.length - a.length);
  if (forms.length === 0) return (line) => line;
  return (line) => {
    let scrubbed = line;
    for (const form of forms) if (scrubbed.includes(form)) scrubbed = scrubbed.replaceAll(form, MASK);
    return scrubbed;
  };
}
