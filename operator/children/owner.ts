// Owner references and object metadata shared by every child: garbage
// collection removes the children when the StreamDeployment goes.
import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import { apiVersion } from '../resource/stream-deployment.ts';
import { deploymentHashAnnotation, jobIdAnnotation, standardLabels, type Component } from './labels.ts';

/** What the builders need to know of the StreamDeployment and of the deployment being rendered. */
export interface ChildContext {
  name: string;
  namespace: string;
  uid: string;
  jobId: string;
  deploymentHash: string;
  /** app.kubernetes.io/version: the image tag. */
  version: string;
}

export function ownerReference(ctx: Pick<ChildContext, 'name' | 'uid'>): V1OwnerReference {
  return {
    apiVersion,
    kind: 'StreamDeployment',
    name: ctx.name,
    uid: ctx.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function childMetadata(ctx: ChildContext, name: string, component: Component): V1ObjectMeta {
  return {
    name,
    namespace: ctx.namespace,
    labels: standardLabels(ctx.name, component, ctx.version),
    annotations: { [deploymentHashAnnotation]: ctx.deploymentHash, [jobIdAnnotation]: ctx.jobId },
    ownerReferences: [ownerReference(ctx)],
  };
}

/** A label value from an image reference: its tag (or digest prefix), cut to the 63 characters labels allow. */
export function imageVersion(image: string): string {
  const afterSlash = image.slice(image.lastIndexOf('/') + 1);
  const tag = afterSlash.includes('@')
    ? afterSlash
        .split('@')[1]!
        .replace(/^sha256:/, '')
        .slice(0, 12)
    : afterSlash.includes(':')
      ? afterSlash.split(':')[1]!
      : 'latest';
  const clean = tag
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return clean || 'latest';
}
