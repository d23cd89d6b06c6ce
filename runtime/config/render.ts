// `brook run --print-config`: the effective configuration as YAML, with
// durations and sizes written back as 10s / 64mb, and secrets masked.
import { stringify } from 'yaml';
import type { z } from 'zod';
import type { Configuration } from './configuration.ts';
import { formatDuration, formatSize } from './durations.ts';
import { maskSecrets } from './masking.ts';
import { childSchema, inspectField } from './schema-walk.ts';
import { configSchema } from './schema.ts';

/** The value as written in configuration: quantities in units, following the schema. */
export function toWritten(schema: z.ZodType | undefined, value: unknown): unknown {
  if (schema === undefined) return value;
  const { quantity } = inspectField(schema);
  if (quantity !== undefined && typeof value === 'number') {
    return quantity === 'duration' ? formatDuration(value) : formatSize(value);
  }
  if (Array.isArray(value)) return value.map((item, i) => toWritten(childSchema(schema, i, value), item));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toWritten(childSchema(schema, k, value), v)]));
  return value;
}

/** The YAML `--print-config` prints: a header naming the source, then every setting. */
export function renderConfiguration(config: Configuration): string {
  const { file, profile } = config.source;
  const header = [
    '# effective configuration',
    file === undefined ? ' (built-in defaults, environment and --set)' : ` from ${file}`,
    profile ? `, profile ${profile}` : '',
    '; secrets masked',
  ].join('');
  const body = stringify(maskSecrets(toWritten(configSchema, { ...config })), { lineWidth: 0 });
  return `${header}\n${body}`;
}
