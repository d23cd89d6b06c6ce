// The kinds the controller lists, watches and writes, and their REST paths:
// one descriptor per kind, so paths are built in one place.
import { group, version } from '../resource/stream-deployment.ts';

export interface ResourceKind {
  /** '' for the core group. */
  group: string;
  version: string;
  kind: string;
  plural: string;
}

export const streamDeployments: ResourceKind = {
  group,
  version,
  kind: 'StreamDeployment',
  plural: 'streamdeployments',
};
export const streamSnapshots: ResourceKind = {
  group,
  version,
  kind: 'StreamSnapshot',
  plural: 'streamsnapshots',
};
export const deployments: ResourceKind = { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments' };
export const services: ResourceKind = { group: '', version: 'v1', kind: 'Service', plural: 'services' };
export const configMaps: ResourceKind = { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps' };

export function apiVersionOf(kind: ResourceKind): string {
  return kind.group === '' ? kind.version : `${kind.group}/${kind.version}`;
}

/** The collection path, in one namespace or across all (`namespace` undefined). */
export function collectionPath(kind: ResourceKind, namespace: string | undefined): string {
  const root = kind.group === '' ? `/api/${kind.version}` : `/apis/${kind.group}/${kind.version}`;
  return namespace === undefined ? `${root}/${kind.plural}` : `${root}/namespaces/${namespace}/${kind.plural}`;
}

/** What every object the controller caches has: enough metadata to key, version and own it. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    deletionTimestamp?: string | Date;
    ownerReferences?: { uid: string; kind: string; name: string; controller?: boolean }[];
  };
}

/** `namespace/name`, the work queue's key for an object. */
export function objectKey(object: KubeObject): string {
  return `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
}

export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The label every child carries (operator/children/labels.ts); the child informers select on it. */
export const managedBySelector = 'app.kubernetes.io/managed-by=brook-operator';
