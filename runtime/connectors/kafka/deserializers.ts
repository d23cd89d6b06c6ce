// Turns the bytes of a consumed record into a value: string, JSON, bytes, or
// JSON validated by a zod schema. A record that fails says why instead of
// throwing, so the source can send it to the dead letters and go on.
import type { z } from 'zod';

export type Deserialized<T> = { ok: true; value: T } | { ok: false; reason: string };
export type Deserializer<T> = (bytes: Buffer | null) => Deserialized<T>;

export type ValueFormat = 'string' | 'json' | 'bytes' | z.ZodType;
/** The type a value format produces. */
export type FormatOutput<F> = F extends 'bytes'
  ? Buffer
  : F extends 'json'
    ? unknown
    : F extends z.ZodType<infer O>
      ? O
      : string;

const stringOf: Deserializer<string | null> = (bytes) => ({ ok: true, value: bytes ? bytes.toString('utf8') : null });

function parseJson(bytes: Buffer | null): Deserialized<unknown> {
  if (!bytes) return { ok: false, reason: 'value is null (a tombstone), expected JSON' };
  try {
    return { ok: true, value: JSON.parse(bytes.toString('utf8')) };
  } catch (error) {
    return { ok: false, reason: `invalid JSON: ${(error as Error).message}` };
  }
}

export function deserializerFor(format: ValueFormat): Deserializer<unknown> {
  if (format === 'string') return stringOf;
  if (format === 'bytes') return (bytes) => ({ ok: true, value: bytes });
  if (format === 'json') return parseJson;
  const schema = format;
  return (bytes) => {
    const json = parseJson(bytes);
    if (!json.ok) return json;
    const checked = schema.safeParse(json.value);
    if (checked.success) return { ok: true, value: checked.data };
    const issues = checked.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
    return { ok: false, reason: `schema validation failed: ${issues.join('; ')}` };
  };
}

export function keyDeserializerFor(format: 'string' | 'bytes'): (bytes: Buffer | null) => unknown {
  return format === 'bytes' ? (bytes) => bytes : (bytes) => (bytes ? bytes.toString('utf8') : null);
}
