// The ConfigMap with the runtime configuration the JobManager and TaskManagers
// read (--config): spec.config without the operator's own keys, plus the
// parallelism the operator derives.
import type { V1ConfigMap } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import type { StreamDeploymentSpec } from '../resource/stream-deployment-spec.ts';
import { isOperatorKey, runtimeKeys } from '../resource/config-keys.ts';
import { childMetadata, type ChildContext } from './owner.ts';
import { childNames, configFileName } from './names.ts';

/** The runtime configuration as key → value, sorted so equal specs render equal files. */
export function runtimeConfiguration(spec: StreamDeploymentSpec): Record<string, string> {
  const entries = Object.entries(spec.config).filter(([key]) => !isOperatorKey(key));
  entries.push([runtimeKeys.parallelism, String(spec.job.parallelism ?? spec.taskManager.replicas)]);
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function buildConfigMap(ctx: ChildContext, spec: StreamDeploymentSpec): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: childMetadata(ctx, childNames(ctx.name).configMap, 'config'),
    data: { [configFileName]: stringify(runtimeConfiguration(spec)) },
  };
}
