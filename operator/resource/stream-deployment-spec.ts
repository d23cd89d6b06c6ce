// The spec of a StreamDeployment (brook.dev/v1beta1): what the user asks for.
// The CRD in crds/ is generated from this schema; `.meta()` carries the
// Kubernetes-only parts (preserved unknown fields, int-or-string, CEL rules).
import { z } from 'zod';
import { specRules } from './validation-rules.ts';

/** Kubernetes resource quantities: "500m", "2", "1.5Gi". */
const quantityPattern = '^[0-9]+(\\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$';

const cpu = z
  .union([z.number().int().min(1), z.string().regex(new RegExp(quantityPattern))])
  .meta({ 'x-kubernetes-int-or-string': true, description: 'CPU request and limit, e.g. 1 or "500m".' });

const memory = z.string().regex(new RegExp(quantityPattern)).describe('Memory request and limit, e.g. "1Gi".');

export const resourceSchema = z
  .object({ cpu: cpu.default(1), memory: memory.default('1Gi') })
  .describe('CPU and memory of each pod of this kind; requests and limits are set to the same values.');

/** A Kubernetes PodTemplateSpec, kept as written: the API server does not check it, the Deployment it ends up in does. */
export const podTemplateSchema = z.record(z.string(), z.unknown()).meta({
  'x-kubernetes-preserve-unknown-fields': true,
  description:
    'A PodTemplateSpec used as the base of these pods: the operator sets its own container (named jobmanager or taskmanager) on top.',
});

const processSchema = (role: string, defaultReplicas: number) =>
  z.object({
    replicas: z.number().int().default(defaultReplicas).describe(`Number of ${role} pods.`),
    resource: resourceSchema.prefault({}),
    podTemplate: podTemplateSchema.optional(),
  });

export const upgradeModes = ['stateless', 'savepoint', 'last-state'] as const;
export type UpgradeMode = (typeof upgradeModes)[number];

export const restartPolicies = ['Never', 'FromLatestState', 'FromSavepointOnFailure'] as const;
export type RestartPolicy = (typeof restartPolicies)[number];

export const jobSpecSchema = z.object({
  entry: z
    .string()
    .min(1)
    .max(1024)
    .describe('Path of the job module inside the image, e.g. /opt/brook/examples/wordcount/job.ts.'),
  args: z.array(z.string()).default([]).describe("Arguments handed to the job's build(env, args)."),
  parallelism: z
    .number()
    .int()
    .optional()
    .describe('Parallelism of the job; defaults to taskManager.replicas (a TaskManager has one slot).'),
  upgradeMode: z
    .enum(upgradeModes)
    .default('stateless')
    .describe('How state carries over a spec change or suspension: stateless, savepoint or last-state.'),
  state: z.enum(['running', 'suspended']).default('running').describe('Desired state of the job.'),
  savepointTriggerNonce: z
    .number()
    .int()
    .optional()
    .describe('Change it to take a manual savepoint (recorded as a StreamSnapshot).'),
  initialSavepointPath: z
    .string()
    .max(4096)
    .optional()
    .describe('Savepoint or checkpoint the first deployment restores from (file:// or s3://).'),
  allowNonRestoredState: z
    .boolean()
    .default(false)
    .describe('Restore a savepoint even when it holds state of operators the job no longer has.'),
  restartPolicy: z
    .enum(restartPolicies)
    .default('Never')
    .describe('What the operator does when the job ends FAILED (after the runtime restart strategy gave up).'),
});

export const streamDeploymentSpecSchema = z
  .object({
    image: z.string().min(1).describe('Image with the brook CLI and the job module.'),
    imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
    serviceAccount: z.string().optional().describe('Service account of the JobManager and TaskManager pods.'),
    config: z
      .record(z.string().max(256), z.string().max(8192))
      .meta({ maxProperties: 512 })
      .default({})
      .describe('Runtime configuration (Flink-style keys); kubernetes.operator.* keys configure the operator.'),
    jobManager: processSchema('JobManager', 1).prefault({}),
    taskManager: processSchema('TaskManager', 1).prefault({}),
    job: jobSpecSchema,
    restartNonce: z.number().int().optional().describe('Change it to restart the job, following upgradeMode.'),
  })
  .superRefine((spec, ctx) => {
    for (const rule of specRules) if (!rule.check(spec)) ctx.addIssue({ code: 'custom', message: rule.message });
  })
  .meta({
    'x-kubernetes-validations': specRules.map(({ rule, message, fieldPath, reason }) => ({
      rule,
      message,
      fieldPath,
      reason,
    })),
  });

export type StreamDeploymentSpec = z.output<typeof streamDeploymentSpecSchema>;
export type StreamDeploymentSpecInput = z.input<typeof streamDeploymentSpecSchema>;
export type JobSpec = StreamDeploymentSpec['job'];
export type ProcessSpec = StreamDeploymentSpec['jobManager'];
