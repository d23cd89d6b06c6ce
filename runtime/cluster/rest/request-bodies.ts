// The request bodies the REST API accepts, validated once where they enter
// (STYLE.md #9): Flink's field names, unknown fields refused, and a message
// that names the field.
import { z } from 'zod';
import { storageUri } from '../../config/primitives.ts';
import { RestError } from './rest-error.ts';

const triggerId = z
  .string()
  .regex(/^[0-9a-fA-F]{32}$/, 'expected 32 hexadecimal characters')
  .transform((id) => id.toLowerCase());

// Brook writes one savepoint format; Flink's NATIVE (state-backend specific) is the same here.
const formatType = z.enum(['CANONICAL', 'NATIVE']);

export const savepointTriggerBody = z
  .object({
    'target-directory': storageUri().optional(),
    'cancel-job': z.boolean().default(false),
    formatType: formatType.optional(),
    triggerId: triggerId.optional(),
  })
  .strict();

export const stopBody = z
  .object({
    targetDirectory: storageUri().optional(),
    drain: z.boolean().default(false),
    formatType: formatType.optional(),
    triggerId: triggerId.optional(),
  })
  .strict();

export type SavepointTriggerBody = z.output<typeof savepointTriggerBody>;
export type StopBody = z.output<typeof stopBody>;

/** Parses `json` with `schema`, or throws a 400 that names each wrong field. */
export function parseBody<S extends z.ZodType>(schema: S, json: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(json ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') return `unknown field ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
    const field = issue.path.map(String).join('.');
    return field ? `field '${field}': ${issue.message}` : issue.message;
  });
  throw new RestError(400, `bad request body for ${what}: ${problems.join('; ')}`);
}
