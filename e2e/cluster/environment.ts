// A container's environment as the kubelet builds it: the image's ENV, the
// in-cluster service variables, envFrom, then env in order (downward API
// fields, resource fields, ConfigMap and Secret keys), with $(VAR) expansion.
import type { V1EnvVar, V1ObjectFieldSelector, V1ResourceFieldSelector } from '@kubernetes/client-node';
import type { Container, Pod } from './objects.ts';
import { divideQuantity } from './quantity.ts';

/** Something a container needs is missing (the kubelet's CreateContainerConfigError). */
export class ContainerConfigError extends Error {
  readonly code = 'BROOK_KUBELET_CONTAINER_CONFIG';
}

/** ConfigMaps and Secrets of the pod's namespace, already read, values decoded. */
export interface EnvSources {
  configMaps: Map<string, Record<string, string>>;
  secrets: Map<string, Record<string, string>>;
}

export interface PodRuntimeFacts {
  podIP: string;
  hostIP: string;
  /** The node's allocatable amounts, shown when a container has no limit. */
  allocatable: { cpu: string; memory: string; 'ephemeral-storage': string };
}

/** The ConfigMap and Secret names a container's environment reads (so they can be fetched first). */
export function referencedSources(container: Container): { configMaps: Set<string>; secrets: Set<string> } {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef?.name) configMaps.add(from.configMapRef.name);
    if (from.secretRef?.name) secrets.add(from.secretRef.name);
  }
  for (const env of container.env ?? []) {
    if (env.valueFrom?.configMapKeyRef?.name) configMaps.add(env.valueFrom.configMapKeyRef.name);
    if (env.valueFrom?.secretKeyRef?.name) secrets.add(env.valueFrom.secretKeyRef.name);
  }
  return { configMaps, secrets };
}

/** Kubernetes' $(VAR) expansion: known names are replaced, unknown ones left as written, $$ escapes. */
export function expand(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (name === undefined) return '$';
    return Object.hasOwn(vars, name) ? vars[name]! : match;
  });
}

/** A downward API field of the pod (env fieldRef and downwardAPI volume items). */
export function podField(pod: Pod, facts: PodRuntimeFacts, selector: V1ObjectFieldSelector): string {
  const path = selector.fieldPath;
  const meta = pod.metadata;
  const indexed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (indexed) return (indexed[1] === 'labels' ? meta.labels : meta.annotations)?.[indexed[2]!] ?? '';
  const formatMap = (map: Record<string, string> | undefined) =>
    Object.entries(map ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join('\n');
  switch (path) {
    case 'metadata.name':
      return meta.name;
    case 'metadata.namespace':
      return meta.namespace ?? '';
    case 'metadata.uid':
      return meta.uid;
    case 'metadata.labels':
      return formatMap(meta.labels);
    case 'metadata.annotations':
      return formatMap(meta.annotations);
    case 'spec.nodeName':
      return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec.serviceAccountName ?? '';
    case 'status.hostIP':
    case 'status.hostIPs':
      return facts.hostIP;
    case 'status.podIP':
    case 'status.podIPs':
      return facts.podIP;
    default:
      throw new ContainerConfigError(`unsupported fieldPath '${path}'`);
  }
}

/** A resourceFieldRef: the container's limit or request, the node's allocatable when there is no limit. */
export function resourceField(
  pod: Pod,
  facts: PodRuntimeFacts,
  selector: V1ResourceFieldSelector,
  containerName: string | undefined,
): string {
  const name = selector.containerName || containerName;
  const container = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find((c) => c.name === name);
  if (!container) throw new ContainerConfigError(`resourceFieldRef names no container of the pod ('${name}')`);
  const [kind, resource] = selector.resource.split('.', 2) as [string, keyof PodRuntimeFacts['allocatable']];
  if ((kind !== 'limits' && kind !== 'requests') || !(resource in facts.allocatable)) {
    throw new ContainerConfigError(`unsupported resourceFieldRef resource '${selector.resource}'`);
  }
  const limits = container.resources?.limits;
  const requests = container.resources?.requests;
  const value =
    kind === 'limits'
      ? (limits?.[resource] ?? facts.allocatable[resource])
      : (requests?.[resource] ?? (resource === 'cpu' || resource === 'memory' ? '0' : facts.allocatable[resource]));
  return divideQuantity(value, selector.divisor);
}

function envVarValue(
  pod: Pod,
  container: Container,
  facts: PodRuntimeFacts,
  sources: EnvSources,
  env: V1EnvVar,
  vars: Record<string, string>,
): string | undefined {
  const from = env.valueFrom;
  if (!from) return expand(env.value ?? '', vars);
  if (from.fieldRef) return podField(pod, facts, from.fieldRef);
  if (from.resourceFieldRef) return resourceField(pod, facts, from.resourceFieldRef, container.name);
  const ref = from.configMapKeyRef ?? from.secretKeyRef;
  if (!ref) throw new ContainerConfigError(`env ${env.name}: unsupported valueFrom`);
  const kind = from.configMapKeyRef ? 'configmap' : 'secret';
  const object = (kind === 'configmap' ? sources.configMaps : sources.secrets).get(ref.name ?? '');
  if (!object) {
    if (ref.optional) return undefined;
    throw new ContainerConfigError(`${kind} "${ref.name}" not found`);
  }
  if (!Object.hasOwn(object, ref.key)) {
    if (ref.optional) return undefined;
    throw new ContainerConfigError(`couldn't find key ${ref.key} in ${kind} ${pod.metadata.namespace}/${ref.name}`);
  }
  return object[ref.key];
}

/**
 * The environment of one container process. `base` holds what comes before the
 * pod spec (image ENV, HOSTNAME, the KUBERNETES_SERVICE_* variables); values in
 * the spec override it in order.
 */
export function containerEnvironment(
  pod: Pod,
  container: Container,
  facts: PodRuntimeFacts,
  base: Record<string, string>,
  sources: EnvSources,
): Record<string, string> {
  const result: Record<string, string> = { ...base };
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    const kind = from.configMapRef ? 'configmap' : 'secret';
    const object = (kind === 'configmap' ? sources.configMaps : sources.secrets).get(ref?.name ?? '');
    if (!object) {
      if (ref?.optional) continue;
      throw new ContainerConfigError(`${kind} "${ref?.name}" not found`);
    }
    for (const [key, value] of Object.entries(object)) result[`${from.prefix ?? ''}${key}`] = value;
  }
  for (const env of container.env ?? []) {
    const value = envVarValue(pod, container, facts, sources, env, result);
    if (value !== undefined) result[env.name] = value;
  }
  return result;
}
