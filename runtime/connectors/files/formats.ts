// Record encodings for part files: JSON lines, and CSV with RFC 4180 quoting
// (a field with the delimiter, a quote or a line break is quoted, quotes doubled).
import type { CsvFormat } from './options.ts';

export interface Encoder<T> {
  /** File extension with its dot. */
  readonly extension: string;
  /** Bytes at the start of every part (the CSV header), or empty. */
  readonly header: Buffer;
  encode(record: T): Buffer;
}

export function jsonLinesEncoder<T>(): Encoder<T> {
  return {
    extension: '.jsonl',
    header: Buffer.alloc(0),
    encode(record) {
      const json = JSON.stringify(record) as string | undefined;
      if (json === undefined) throw new TypeError(`${String(record)} has no JSON form`);
      return Buffer.from(`${json}\n`);
    },
  };
}

/** One CSV field: as is, or quoted when it holds the delimiter, a quote or a line break. */
export function csvField(value: unknown, delimiter: string): string {
  return quoteIfNeeded(fieldText(value), delimiter);
}

function fieldText(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'undefined':
      return '';
    case 'object':
      return value === null ? '' : value instanceof Date ? value.toISOString() : JSON.stringify(value);
    default:
      return `[${typeof value}]`;
  }
}

function quoteIfNeeded(text: string, delimiter: string): string {
  return text.includes(delimiter) || /["\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvEncoder<T>(format: CsvFormat): Encoder<T> {
  const eol = format.lineEnding === 'crlf' ? '\r\n' : '\n';
  const line = (fields: unknown[]) => fields.map((f) => csvField(f, format.delimiter)).join(format.delimiter) + eol;
  return {
    extension: '.csv',
    header: format.header ? Buffer.from(line(format.columns)) : Buffer.alloc(0),
    encode(record) {
      if (typeof record !== 'object' || record === null)
        throw new TypeError(`${String(record)} is not an object with columns`);
      const row = record as Record<string, unknown>;
      return Buffer.from(line(format.columns.map((column) => row[column])));
    },
  };
}
