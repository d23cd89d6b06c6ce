// Everything one deploy action creates or updates, rendered from the
// StreamDeployment and the deployment record decide() wrote in status.
import type { V1ConfigMap, V1Deployment, V1Service } from '@kubernetes/client-node';
import type { StreamDeploymentSpec } from '../resource/stream-deployment-spec.ts';
import type { RestoreRecord } from '../resource/stream-deployment-status.ts';
import { buildConfigMap } from './config-map.ts';
import { buildJobManagerDeployment, buildJobManagerService } from './jobmanager.ts';
import { buildTaskManagerDeployment } from './taskmanager.ts';
import { deploymentHash } from './deployment-hash.ts';
import { imageVersion, type ChildContext } from './owner.ts';

export interface Children {
  configMap: V1ConfigMap;
  jobManagerService: V1Service;
  jobManager: V1Deployment;
  taskManager: V1Deployment;
}

export interface ChildrenInput {
  metadata: { name: string; namespace: string; uid: string };
  spec: StreamDeploymentSpec;
  jobId: string;
  restore: RestoreRecord;
}

export function buildChildren({ metadata, spec, jobId, restore }: ChildrenInput): Children {
  const ctx: ChildContext = {
    ...metadata,
    jobId,
    deploymentHash: deploymentHash(spec, jobId, restore.path),
    version: imageVersion(spec.image),
  };
  return {
    configMap: buildConfigMap(ctx, spec),
    jobManagerService: buildJobManagerService(ctx),
    jobManager: buildJobManagerDeployment(ctx, spec, restore),
    taskManager: buildTaskManagerDeployment(ctx, spec),
  };
}
