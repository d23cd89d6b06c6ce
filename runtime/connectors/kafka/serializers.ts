// Turns sink values into record bytes: string, JSON or bytes.
export type SerialFormat = 'string' | 'json' | 'bytes';

export function serializerFor(format: SerialFormat, field: string): (value: unknown) => Buffer | undefined {
  if (format === 'json') return (value) => (value === undefined ? undefined : Buffer.from(JSON.stringify(value)));
  if (format === 'bytes') {
    return (value) => {
      if (value === undefined || value === null) return undefined;
      if (Buffer.isBuffer(value)) return value;
      if (value instanceof Uint8Array) return Buffer.from(value);
      throw new TypeError(`${field}: expected a Buffer or Uint8Array for format 'bytes', got ${typeof value}`);
    };
  }
  return (value) => {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return Buffer.from(value);
    if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
      return Buffer.from(String(value));
    }
    throw new TypeError(`${field}: expected a string for format 'string', got ${typeof value} (use format 'json')`);
  };
}
