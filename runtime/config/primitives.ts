// The value types configuration is built from. Numbers and booleans also
// accept their string forms, because values arrive as strings from ${VAR}
// interpolation and from the operator's string map (spec.config).
import { z } from 'zod';

const numeric = /^\s*-?\d+(\.\d+)?\s*$/;

function numberFromString(value: unknown): unknown {
  return typeof value === 'string' && numeric.test(value) ? Number(value) : value;
}

function booleanFromString(value: unknown): unknown {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value;
}

/** A whole number within [min, max]. */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return z.preprocess(numberFromString, z.number().int().min(min).max(max));
}

/** A number within [min, max]. */
export function decimal(min: number, max = Number.MAX_VALUE) {
  return z.preprocess(numberFromString, z.number().min(min).max(max));
}

export function flag() {
  return z.preprocess(booleanFromString, z.boolean());
}

export const port = () => integer(1, 65535);

/** `file:///abs/dir` (an absolute path is taken as one) or `s3://bucket/prefix`, without a trailing slash. */
export function storageUri() {
  return z
    .string()
    .transform((uri) => (uri.startsWith('/') ? `file://${uri}` : uri))
    .refine((uri) => /^(file:\/\/\/|s3:\/\/[^/]+)/.test(uri), {
      error: (issue) => `expected a file:///path or s3://bucket/prefix URI, got ${JSON.stringify(issue.input)}`,
    })
    .transform(withoutTrailingSlash);
}

function withoutTrailingSlash(uri: string): string {
  const trimmed = uri.replace(/\/+$/, '');
  // `file:///` is the root directory, not a scheme to trim down to.
  return trimmed.endsWith(':') ? uri : trimmed;
}

/** pino's levels. */
export const logLevel = () => z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']);

/** TLS for a client: `true` for the system's CAs, or the files and checks to use. */
export function tls() {
  return z.union([
    flag(),
    z
      .object({
        ca: z.string().optional().describe('PEM of the CA to trust (default: the system CAs)'),
        cert: z.string().optional().describe('PEM client certificate, for mutual TLS'),
        key: z.string().optional().describe('PEM private key of the client certificate (masked)'),
        servername: z.string().optional().describe('server name for SNI and certificate checks'),
        rejectUnauthorized: flag().default(true).describe('refuse servers whose certificate does not verify'),
      })
      .strict(),
  ]);
}
