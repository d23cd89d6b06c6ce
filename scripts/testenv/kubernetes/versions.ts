// The pinned versions and ports of the local Kubernetes control plane: read by
// the build, the launcher and endpoints.ts.

/**
 * Kubernetes 1.36 is built upstream with Go 1.26 (this machine's Go), so its
 * sources compile here without patches.
 */
export const KUBERNETES_VERSION = '1.36.3';

/**
 * The etcd minor that Kubernetes 1.36 requires in its go.mod (3.6). Debian
 * bookworm's etcd-server 3.4.23 is older than the 3.4.29 that Kubernetes ≥1.31
 * documents as its floor and lacks --unsafe-no-fsync, so etcd is built too.
 */
export const ETCD_VERSION = '3.6.16';

/**
 * Helm 4, the current major (Helm 3 receives security fixes only). Built with
 * the client-go 0.37 it pins, within the one-minor skew of the 1.36 apiserver.
 */
export const HELM_VERSION = '4.3.1';

// Clear of Kafka (9092/9093), SeaweedFS (9000, 8888, 9333, 9340, their +10000
// gRPC ports, 23646),
// Redis (6379) and Brook's own ports (8080, 8081, 6121, 6123, 9249).
export const KUBE_APISERVER_PORT = 16443;
export const KUBE_CONTROLLER_MANAGER_PORT = 16444;
export const ETCD_CLIENT_PORT = 12379;
export const ETCD_PEER_PORT = 12380;
