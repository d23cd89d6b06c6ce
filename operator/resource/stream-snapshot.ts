// StreamSnapshot (brook.dev/v1beta1): a savepoint as a resource. The operator
// creates one for every manual, periodic and upgrade savepoint it takes; a user
// may create one to ask for a savepoint. Deleting it disposes the data when
// disposeOnDelete is set.
import { z } from 'zod';
import { apiVersion, describeIssues, objectMetaSchema } from './stream-deployment.ts';
import { snapshotTriggerTypes } from './stream-deployment-status.ts';
import { storageUriPattern } from './validation-rules.ts';
import { ResourceInvalidError } from './errors.ts';

export const snapshotStates = ['TRIGGER_PENDING', 'IN_PROGRESS', 'COMPLETED', 'FAILED'] as const;
export type SnapshotState = (typeof snapshotStates)[number];

const storageUri = new RegExp(storageUriPattern);

export const streamSnapshotSpecSchema = z
  .object({
    deploymentName: z
      .string()
      .min(1)
      .max(253)
      .describe('The StreamDeployment (in the same namespace) whose job the savepoint is of.'),
    triggerType: z.enum(snapshotTriggerTypes).default('manual').describe('Why the savepoint was taken.'),
    path: z
      .string()
      .max(4096)
      .optional()
      .describe('Where the savepoint is; set for one that already exists, filled in status otherwise.'),
    alreadyExists: z
      .boolean()
      .default(false)
      .describe('The savepoint was already taken (spec.path); the operator only records it.'),
    disposeOnDelete: z
      .boolean()
      .default(false)
      .describe('Delete the savepoint data from storage when this resource is deleted.'),
  })
  .superRefine((spec, ctx) => {
    if (spec.alreadyExists && spec.path === undefined)
      ctx.addIssue({ code: 'custom', message: 'spec.path is required when spec.alreadyExists is true' });
    if (spec.path !== undefined && !storageUri.test(spec.path))
      ctx.addIssue({ code: 'custom', message: 'spec.path must be a file:///path or s3://bucket/path URI' });
  })
  .meta({
    'x-kubernetes-validations': [
      {
        rule: '!self.alreadyExists || has(self.path)',
        message: 'spec.path is required when spec.alreadyExists is true',
        fieldPath: '.path',
        reason: 'FieldValueRequired',
      },
      {
        rule: `!has(self.path) || self.path.matches('${storageUriPattern}')`,
        message: 'spec.path must be a file:///path or s3://bucket/path URI',
        fieldPath: '.path',
        reason: 'FieldValueInvalid',
      },
      {
        // A snapshot is a record of one savepoint; pointing it elsewhere would orphan the data.
        rule: 'self == oldSelf',
        message: 'spec of a StreamSnapshot cannot change; create another StreamSnapshot instead',
      },
    ],
  });

export const streamSnapshotStatusSchema = z.object({
  state: z.enum(snapshotStates).optional(),
  triggerId: z.string().optional(),
  triggerTimestamp: z.number().int().optional(),
  resultTimestamp: z.number().int().optional(),
  path: z.string().optional(),
  jobId: z.string().optional(),
  error: z.string().optional(),
  failures: z.number().int().optional(),
  observedGeneration: z.number().int().optional(),
});

export const streamSnapshotSchema = z.object({
  apiVersion: z.literal(apiVersion),
  kind: z.literal('StreamSnapshot'),
  metadata: objectMetaSchema,
  spec: streamSnapshotSpecSchema,
  status: streamSnapshotStatusSchema.optional(),
});

export type StreamSnapshot = z.output<typeof streamSnapshotSchema>;
export type StreamSnapshotSpec = z.output<typeof streamSnapshotSpecSchema>;
export type StreamSnapshotStatus = z.output<typeof streamSnapshotStatusSchema>;

export function parseStreamSnapshot(value: unknown): StreamSnapshot {
  const result = streamSnapshotSchema.safeParse(value);
  if (result.success) return result.data;
  const name = (value as { metadata?: { name?: unknown } } | undefined)?.metadata?.name;
  throw new ResourceInvalidError(
    'StreamSnapshot',
    typeof name === 'string' ? name : '(unnamed)',
    describeIssues(result.error),
  );
}
