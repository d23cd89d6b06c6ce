// The JobManager: a Deployment of one pod running `brook jobmanager`, told
// which job to run, under which job id and from which state, and its Service
// (REST for the operator and users, control for the TaskManagers).
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import type { StreamDeploymentSpec } from '../resource/stream-deployment-spec.ts';
import type { RestoreRecord } from '../resource/stream-deployment-status.ts';
import { runtimeKeys } from '../resource/config-keys.ts';
import { selectorLabels } from './labels.ts';
import { childNames, configDirectory, configFileName, ports } from './names.ts';
import { childMetadata, type ChildContext } from './owner.ts';
import { metricsPort, processPod } from './process-pod.ts';

/** The JobManager's arguments: restore settings go on the command line, so a changed restore is a new pod. */
export function jobManagerArgs(spec: StreamDeploymentSpec, jobId: string, restore: RestoreRecord): string[] {
  const set = (key: string, value: string) => ['--set', `${key}=${value}`];
  return [
    'jobmanager',
    '--job',
    spec.job.entry,
    '--config',
    `${configDirectory}/${configFileName}`,
    ...set(runtimeKeys.jobId, jobId),
    ...set(runtimeKeys.shutdownOnJobEnd, 'false'),
    ...(restore.path !== undefined ? set(runtimeKeys.restorePath, restore.path) : []),
    ...(spec.job.allowNonRestoredState ? set(runtimeKeys.allowNonRestoredState, 'true') : []),
    ...(spec.job.args.length > 0 ? ['--', ...spec.job.args] : []),
  ];
}

export function buildJobManagerDeployment(
  ctx: ChildContext,
  spec: StreamDeploymentSpec,
  restore: RestoreRecord,
): V1Deployment {
  const names = childNames(ctx.name);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: childMetadata(ctx, names.jobManager, 'jobmanager'),
    spec: {
      replicas: spec.jobManager.replicas,
      // Never two JobManagers of one job at once, not even during a rollout.
      strategy: { type: 'Recreate' },
      selector: { matchLabels: selectorLabels(ctx.name, 'jobmanager') },
      template: processPod(ctx, spec, 'jobmanager', {
        args: jobManagerArgs(spec, ctx.jobId, restore),
        ports: [
          { name: 'rest', containerPort: ports.rest, protocol: 'TCP' },
          { name: 'control', containerPort: ports.control, protocol: 'TCP' },
          metricsPort,
        ],
        readinessProbe: {
          httpGet: { path: '/overview', port: 'rest' },
          periodSeconds: 5,
          timeoutSeconds: 2,
          failureThreshold: 3,
        },
      }),
    },
  };
}

export function buildJobManagerService(ctx: ChildContext): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: childMetadata(ctx, childNames(ctx.name).jobManagerService, 'jobmanager'),
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(ctx.name, 'jobmanager'),
      ports: [
        { name: 'rest', port: ports.rest, targetPort: 'rest', protocol: 'TCP' },
        { name: 'control', port: ports.control, targetPort: 'control', protocol: 'TCP' },
        { name: 'metrics', port: ports.metrics, targetPort: 'metrics', protocol: 'TCP' },
      ],
    },
  };
}
