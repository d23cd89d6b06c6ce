// Shared set-up of the process kubelet's `*.kube.test.ts` files: testenv's API
// server, a namespace of the file's own, a process kubelet for it (stopped
// after), typed clients, and waiting for conditions with a deadline.
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { AppsV1Api, CoreV1Api, KubeConfig, RbacAuthorizationV1Api, type V1Pod } from '@kubernetes/client-node';
import { endpoints, ensureServices } from '../../scripts/testenv/index.ts';
import { startProcessKubelet, type ProcessKubeletHandle, type ProcessKubeletOptions } from './index.ts';

import { eventually } from '../../runtime/testing/wait-until.ts';

export { eventually };

export interface KubeletTestCluster {
  namespace: string;
  kubelet: ProcessKubeletHandle;
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  rbac: RbacAuthorizationV1Api;
  logDir: string;
  /**
   * Settles when the `before` hook has set everything up. Node 20 starts a file's top-level `before`
   * hooks without waiting for the earlier ones, so a hook that builds on this cluster awaits it.
   */
  ready: Promise<void>;
  /** The pod as stored now. */
  pod(name: string): Promise<V1Pod>;
  /** Waits until the pod satisfies `accept`; returns it. */
  waitForPod(name: string, accept: (pod: V1Pod) => boolean, what: string, timeoutMs?: number): Promise<V1Pod>;
  /** The pods with a label selector, waiting until there are `count` of them satisfying `accept`. */
  waitForPods(selector: string, count: number, accept: (pod: V1Pod) => boolean, what: string): Promise<V1Pod[]>;
}

export const isReady = (pod: V1Pod) =>
  pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/**
 * Registers before/after hooks that make a namespace `<prefix>-<random>` and a
 * process kubelet for it; the returned object is filled in by `before`.
 */
export function useKubeletCluster(
  prefix: string,
  options: Partial<Omit<ProcessKubeletOptions, 'kubeconfig' | 'logDir' | 'namespaces'>> = {},
): KubeletTestCluster {
  const namespace = `${prefix}-${randomBytes(4).toString('hex')}`;
  const cluster = { namespace, logDir: join(tmpdir(), 'brook-process-kubelet-logs', namespace) } as KubeletTestCluster;
  let setUp!: { resolve: () => void; reject: (error: unknown) => void };
  cluster.ready = new Promise((resolve, reject) => (setUp = { resolve, reject }));
  cluster.ready.catch(() => {}); // the hook's own failure is what the runner reports

  before(async () => {
    try {
      await setUpCluster();
      setUp.resolve();
    } catch (error) {
      setUp.reject(error);
      throw error;
    }
  });

  async function setUpCluster(): Promise<void> {
    await ensureServices('kubernetes');
    const kc = new KubeConfig();
    kc.loadFromFile(endpoints.kubernetes.kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    // The controller-manager fills a new namespace: pods need its default ServiceAccount and CA ConfigMap.
    await eventually(
      () =>
        Promise.all([
          core.readNamespacedServiceAccount({ namespace, name: 'default' }),
          core.readNamespacedConfigMap({ namespace, name: 'kube-root-ca.crt' }),
        ]),
      () => true,
      `namespace ${namespace} has its default ServiceAccount and kube-root-ca.crt`,
    );
    const kubelet = await startProcessKubelet({
      kubeconfig: endpoints.kubernetes.kubeconfig,
      logDir: cluster.logDir,
      namespaces: [namespace],
      ...options,
    });
    const pod = (name: string) => core.readNamespacedPod({ namespace, name });
    Object.assign(cluster, {
      kubelet,
      kc,
      core,
      apps: kc.makeApiClient(AppsV1Api),
      rbac: kc.makeApiClient(RbacAuthorizationV1Api),
      pod,
      waitForPod: (name: string, accept: (pod: V1Pod) => boolean, what: string, timeoutMs?: number) =>
        eventually(() => pod(name), accept, `pod ${name}: ${what}`, timeoutMs),
      waitForPods: async (selector: string, count: number, accept: (pod: V1Pod) => boolean, what: string) => {
        const list = await eventually(
          () => core.listNamespacedPod({ namespace, labelSelector: selector }),
          (l) => l.items.filter(accept).length === count,
          `${count} pods ${selector}: ${what}`,
        );
        return list.items.filter(accept);
      },
    } satisfies Omit<KubeletTestCluster, 'namespace' | 'logDir' | 'ready'>);
  }

  after(async () => {
    await cluster.kubelet?.stop();
    await cluster.core?.deleteNamespace({ name: namespace }).catch(() => {});
  });

  return cluster;
}

/** A node one-liner as a container command (the `node` image runs on the host's node). */
export const nodeCommand = (script: string) => ['node', '-e', script];
