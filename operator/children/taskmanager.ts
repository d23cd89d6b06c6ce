// The TaskManagers: a Deployment of `brook taskmanager` pods, one slot each,
// registering with the JobManager Service's control port.
import type { V1Deployment } from '@kubernetes/client-node';
import type { StreamDeploymentSpec } from '../resource/stream-deployment-spec.ts';
import { selectorLabels } from './labels.ts';
import { childNames, configDirectory, configFileName, ports } from './names.ts';
import { childMetadata, type ChildContext } from './owner.ts';
import { metricsPort, processPod } from './process-pod.ts';

export function taskManagerArgs(name: string): string[] {
  return [
    'taskmanager',
    '--jobmanager',
    `${childNames(name).jobManagerService}:${ports.control}`,
    '--config',
    `${configDirectory}/${configFileName}`,
  ];
}

export function buildTaskManagerDeployment(ctx: ChildContext, spec: StreamDeploymentSpec): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: childMetadata(ctx, childNames(ctx.name).taskManager, 'taskmanager'),
    spec: {
      replicas: spec.taskManager.replicas,
      // TaskManagers of an old job must be gone before the new job's register.
      strategy: { type: 'Recreate' },
      selector: { matchLabels: selectorLabels(ctx.name, 'taskmanager') },
      template: processPod(ctx, spec, 'taskmanager', {
        args: taskManagerArgs(ctx.name),
        ports: [{ name: 'data', containerPort: ports.data, protocol: 'TCP' }, metricsPort],
        readinessProbe: { tcpSocket: { port: 'data' }, periodSeconds: 5, failureThreshold: 3 },
      }),
    },
  };
}
