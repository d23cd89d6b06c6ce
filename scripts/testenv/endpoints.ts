// The addresses and credentials of the test services: one place, read by
// testenv when it starts them and by the tests that talk to them.
import { join } from 'node:path';
import { HELM_VERSION, KUBE_APISERVER_PORT, KUBERNETES_VERSION } from './kubernetes/versions.ts';
import { cacheRoot, serviceDataDir } from './paths.ts';

export const KAFKA_PORT = 9092;
export const KAFKA_CONTROLLER_PORT = 9093;
export const REDIS_PORT = 6379;
export const S3_PORT = 9000;

export const endpoints = {
  kafka: { bootstrapBrokers: [`127.0.0.1:${KAFKA_PORT}`] },
  redis: { url: `redis://127.0.0.1:${REDIS_PORT}` },
  s3: {
    endpoint: `http://127.0.0.1:${S3_PORT}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'brook', secretAccessKey: 'brook-test-secret' },
  },
  kubernetes: {
    server: `https://127.0.0.1:${KUBE_APISERVER_PORT}`,
    /** An admin (system:masters) kubeconfig, rewritten with fresh credentials at every start. */
    kubeconfig: join(serviceDataDir('kubernetes'), 'kubeconfig'),
    /** kubectl built at the same release as the apiserver. */
    kubectl: join(cacheRoot(), `kubernetes-${KUBERNETES_VERSION}`, 'bin', 'kubectl'),
    version: `v${KUBERNETES_VERSION}`,
    /** helm, built from source with the control plane (scripts/testenv/kubernetes/helm.ts). */
    helm: join(cacheRoot(), `helm-${HELM_VERSION}`, 'bin', 'helm'),
  },
} as const;

const environments = {
  kafka: () => ({ KAFKA_BOOTSTRAP_SERVERS: endpoints.kafka.bootstrapBrokers.join(',') }),
  redis: () => ({ REDIS_URL: endpoints.redis.url }),
  s3: () => ({
    AWS_ENDPOINT_URL_S3: endpoints.s3.endpoint,
    AWS_REGION: endpoints.s3.region,
    AWS_ACCESS_KEY_ID: endpoints.s3.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: endpoints.s3.credentials.secretAccessKey,
  }),
  kubernetes: () => ({
    KUBECONFIG: endpoints.kubernetes.kubeconfig,
    BROOK_KUBECTL: endpoints.kubernetes.kubectl,
    BROOK_HELM: endpoints.kubernetes.helm,
  }),
} satisfies Record<keyof typeof endpoints, () => Record<string, string>>;

/**
 * The endpoints of the named services (Kafka, S3 and Redis by default) as
 * environment variables, in the names Brook's configuration, the AWS SDK and
 * Kubernetes clients read.
 */
export function endpointEnvironment(
  names: readonly (keyof typeof endpoints)[] = ['kafka', 'redis', 's3'],
): Record<string, string> {
  return Object.assign({}, ...names.map((name) => environments[name]())) as Record<string, string>;
}
