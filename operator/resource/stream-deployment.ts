// The StreamDeployment resource as the operator reads it: metadata, spec and
// status, parsed once where it enters (the informer) and trusted after that.
import { z } from 'zod';
import { streamDeploymentSpecSchema } from './stream-deployment-spec.ts';
import { streamDeploymentStatusSchema } from './stream-deployment-status.ts';
import { ResourceInvalidError } from './errors.ts';

export const group = 'brook.dev';
export const version = 'v1beta1';
export const apiVersion = `${group}/${version}`;

export const objectMetaSchema = z.looseObject({
  name: z.string(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  generation: z.number().int().optional(),
  resourceVersion: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  deletionTimestamp: z.string().optional(),
  finalizers: z.array(z.string()).optional(),
});

export const streamDeploymentSchema = z.object({
  apiVersion: z.literal(apiVersion),
  kind: z.literal('StreamDeployment'),
  metadata: objectMetaSchema,
  spec: streamDeploymentSpecSchema,
  status: streamDeploymentStatusSchema.optional(),
});

export type StreamDeployment = z.output<typeof streamDeploymentSchema>;
export type StreamDeploymentInput = z.input<typeof streamDeploymentSchema>;

/** Parses a StreamDeployment; the error names every bad field by its path. */
export function parseStreamDeployment(value: unknown): StreamDeployment {
  const result = streamDeploymentSchema.safeParse(value);
  if (result.success) return result.data;
  const name = (value as { metadata?: { name?: unknown } } | undefined)?.metadata?.name;
  throw new ResourceInvalidError(
    'StreamDeployment',
    typeof name === 'string' ? name : '(unnamed)',
    describeIssues(result.error),
  );
}

export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    // Spec rules already name their field in the message.
    return issue.code === 'custom' || path === '' ? issue.message : `${path}: ${issue.message}`;
  });
}
