// The Secret with the deployment's cluster.secret: its JobManager and
// TaskManagers prove it to each other on every control and data connection
// (docs/cluster.md, "Authentication between processes"). Created once per
// incarnation (its name carries the uid), never read or updated by the
// operator (it may only create Secrets); garbage collection removes it with
// the StreamDeployment.
import type { V1EnvVar, V1Secret } from '@kubernetes/client-node';
import { ownerReference, type ChildContext } from './owner.ts';
import { clusterSecretName } from './names.ts';
import { standardLabels } from './labels.ts';

/** The variable the runtime takes cluster.secret from (runtime/config/loader.ts). */
export const clusterSecretEnv = 'BROOK_CLUSTER_SECRET';
export const clusterSecretKey = 'secret';

/** `value`: fresh random text (at least 16 characters, as the runtime requires), made by the caller. */
export function buildClusterSecret(
  ctx: Pick<ChildContext, 'name' | 'namespace' | 'uid' | 'version'>,
  value: string,
): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: clusterSecretName(ctx.name, ctx.uid),
      namespace: ctx.namespace,
      labels: standardLabels(ctx.name, 'cluster-secret', ctx.version),
      ownerReferences: [ownerReference(ctx)],
    },
    type: 'Opaque',
    stringData: { [clusterSecretKey]: value },
  };
}

/** The process containers' variable, read from the Secret of this incarnation when the pod starts. */
export function clusterSecretVariable(ctx: Pick<ChildContext, 'name' | 'uid'>): V1EnvVar {
  return {
    name: clusterSecretEnv,
    valueFrom: { secretKeyRef: { name: clusterSecretName(ctx.name, ctx.uid), key: clusterSecretKey } },
  };
}
