// A pod's /etc/hosts: its own name, its hostAliases, and every Service of the
// watched namespaces mapped to the addresses of its ready backing pods. That is
// the cluster DNS of this cluster: a ClusterIP Service resolves like a headless
// one (to pod IPs), so a Service's port must equal its target port.
import type { Pod, Service } from './objects.ts';

export const CLUSTER_DOMAIN = 'cluster.local';

export function podHostname(pod: Pod): string {
  return (pod.spec.hostname ?? pod.metadata.name).slice(0, 63);
}

function isReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

function selects(selector: Record<string, string> | undefined, pod: Pod): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([key, value]) => pod.metadata.labels?.[key] === value);
}

/** The pods behind a Service, as its EndpointSlices would list them: ready ones (all with publishNotReadyAddresses). */
export function endpointPods(service: Service, pods: Iterable<Pod>): Pod[] {
  const result: Pod[] = [];
  for (const pod of pods) {
    if (pod.metadata.namespace !== service.metadata.namespace) continue;
    if (!pod.status?.podIP || pod.metadata.deletionTimestamp) continue;
    if (pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed') continue;
    if (!selects(service.spec.selector, pod)) continue;
    if (isReady(pod) || service.spec.publishNotReadyAddresses) result.push(pod);
  }
  // Oldest first, so a ClusterIP name keeps resolving to the same pod while newer ones come and go.
  return result.sort(
    (a, b) =>
      (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
      a.metadata.name.localeCompare(b.metadata.name),
  );
}

function serviceNames(service: Service, podNamespace: string): string[] {
  const { name, namespace } = service.metadata;
  const names = [`${name}.${namespace}.svc.${CLUSTER_DOMAIN}`, `${name}.${namespace}.svc`, `${name}.${namespace}`];
  if (namespace === podNamespace) names.push(name);
  return names;
}

/**
 * The hosts file of `pod` with address `podIP`, given the Services and pods the
 * kubelet sees; `apiServerIP` answers for the `kubernetes` Service (its port is
 * the API server's, as in KUBERNETES_SERVICE_PORT, not 443).
 */
export function hostsFile(
  pod: Pod,
  podIP: string,
  services: Iterable<Service>,
  pods: Iterable<Pod>,
  apiServerIP: string,
): string {
  const namespace = pod.metadata.namespace!;
  const hostname = podHostname(pod);
  const own = pod.spec.subdomain
    ? `${hostname}.${pod.spec.subdomain}.${namespace}.svc.${CLUSTER_DOMAIN}\t${hostname}`
    : hostname;
  const lines = [
    '# Kubernetes-managed hosts file (written by the process kubelet).',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    `${podIP}\t${own}`,
  ];
  for (const alias of pod.spec.hostAliases ?? []) {
    if (alias.ip && alias.hostnames?.length) lines.push(`${alias.ip}\t${alias.hostnames.join(' ')}`);
  }
  const apiServerNames = serviceNames(
    { metadata: { name: 'kubernetes', namespace: 'default', uid: '' }, spec: {} },
    namespace,
  );
  lines.push(`${apiServerIP}\t${apiServerNames.join(' ')}`);
  const allPods = [...pods];
  const sorted = [...services].sort(
    (a, b) =>
      a.metadata.namespace!.localeCompare(b.metadata.namespace!) || a.metadata.name.localeCompare(b.metadata.name),
  );
  for (const service of sorted) {
    if (service.spec.type === 'ExternalName') continue;
    const endpoints = endpointPods(service, allPods);
    const names = serviceNames(service, namespace).join(' ');
    for (const endpoint of endpoints) lines.push(`${endpoint.status!.podIP}\t${names}`);
    // A headless Service also names each of its pods that set hostname and subdomain (StatefulSet pods).
    if (service.spec.clusterIP === 'None') {
      for (const endpoint of endpoints) {
        if (endpoint.spec.subdomain !== service.metadata.name || !endpoint.spec.hostname) continue;
        const fqdn = `${endpoint.spec.hostname}.${service.metadata.name}.${service.metadata.namespace}.svc`;
        lines.push(`${endpoint.status!.podIP}\t${fqdn}.${CLUSTER_DOMAIN} ${fqdn}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
