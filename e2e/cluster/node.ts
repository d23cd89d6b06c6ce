// The Node this kubelet is: registered with a Ready condition, capacity and
// addresses, kept alive by a Lease in kube-node-lease renewed every 10 s (what
// the node lifecycle controller watches) and a status heartbeat every minute.
import { arch, cpus, hostname, release, totalmem } from 'node:os';
import { isAlreadyExists, isNotFound, type KubeClient } from './api.ts';
import { timestamp } from './objects.ts';
import { HOST_ANNOTATION, KUBELET_LABEL, PID_ANNOTATION } from './stale.ts';

const LEASE_NAMESPACE = 'kube-node-lease';
const LEASE_SECONDS = 40;
const RENEW_MS = 10_000;
const STATUS_MS = 60_000;

/** RFC 3339 with microseconds, as metav1.MicroTime is written. */
const microTime = (ms = Date.now()) => new Date(ms).toISOString().replace(/Z$/, '000Z');

export const nodeArchitecture = () => ({ x64: 'amd64', arm64: 'arm64' })[arch()] ?? arch();

export const nodeAllocatable = () => ({
  cpu: String(cpus().length),
  memory: `${Math.floor(totalmem() / 1024)}Ki`,
  'ephemeral-storage': '100Gi',
  pods: '110',
});

export class NodeAgent {
  private renewTimer: NodeJS.Timeout | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly client: KubeClient,
    readonly name: string,
    private readonly podCIDR: string,
    private readonly kubeletVersion: string,
    private readonly onError: (what: string, error: unknown) => void,
  ) {}

  private status(now: string) {
    const ok = (type: string, reason: string, message: string) => ({
      type,
      status: 'False',
      reason,
      message,
      lastHeartbeatTime: now,
      lastTransitionTime: now,
    });
    const allocatable = nodeAllocatable();
    return {
      capacity: allocatable,
      allocatable,
      addresses: [
        { type: 'InternalIP', address: '127.0.0.1' },
        { type: 'Hostname', address: this.name },
      ],
      conditions: [
        ok('MemoryPressure', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        ok('DiskPressure', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        ok('PIDPressure', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        { ...ok('Ready', 'KubeletReady', 'process kubelet is posting ready status'), status: 'True' },
      ],
      nodeInfo: {
        machineID: this.name,
        systemUUID: this.name,
        bootID: this.name,
        kernelVersion: release(),
        osImage: 'host filesystem (Brook process kubelet)',
        containerRuntimeVersion: 'process://1',
        kubeletVersion: this.kubeletVersion,
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: nodeArchitecture(),
      },
    };
  }

  /** Creates the Node (Ready) and its Lease, then keeps both fresh until `stop()`. */
  async register(): Promise<void> {
    const node = await this.client.request<{ metadata: { uid: string } }>('POST', '/api/v1/nodes', {
      body: {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: this.name,
          labels: {
            'kubernetes.io/hostname': this.name,
            'kubernetes.io/os': 'linux',
            'kubernetes.io/arch': nodeArchitecture(),
            [KUBELET_LABEL]: 'true',
          },
          annotations: { [PID_ANNOTATION]: String(process.pid), [HOST_ANNOTATION]: hostname() },
        },
        spec: { podCIDR: this.podCIDR, podCIDRs: [this.podCIDR] },
      },
    });
    await this.postStatus();
    try {
      await this.client.request('POST', `/apis/coordination.k8s.io/v1/namespaces/${LEASE_NAMESPACE}/leases`, {
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: {
            name: this.name,
            ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: this.name, uid: node.metadata.uid }],
          },
          spec: { holderIdentity: this.name, leaseDurationSeconds: LEASE_SECONDS, renewTime: microTime() },
        },
      });
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
    }
    this.renewTimer = setInterval(() => void this.renew(), RENEW_MS);
    this.statusTimer = setInterval(
      () => void this.postStatus().catch((e) => this.onError('node status', e)),
      STATUS_MS,
    );
  }

  private async postStatus(): Promise<void> {
    await this.client.request('PATCH', `/api/v1/nodes/${this.name}/status`, {
      body: { status: this.status(timestamp()) },
      contentType: 'application/merge-patch+json',
    });
  }

  private async renew(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.client.request(
        'PATCH',
        `/apis/coordination.k8s.io/v1/namespaces/${LEASE_NAMESPACE}/leases/${this.name}`,
        {
          body: { spec: { holderIdentity: this.name, renewTime: microTime() } },
          contentType: 'application/merge-patch+json',
        },
      );
    } catch (error) {
      this.onError('node lease', error);
    }
  }

  /** Stops the heartbeats and deletes the Lease and the Node (the pod GC then removes pods left bound to it). */
  async deregister(): Promise<void> {
    this.stopped = true;
    clearInterval(this.renewTimer);
    clearInterval(this.statusTimer);
    for (const path of [
      `/apis/coordination.k8s.io/v1/namespaces/${LEASE_NAMESPACE}/leases/${this.name}`,
      `/api/v1/nodes/${this.name}`,
    ]) {
      try {
        await this.client.request('DELETE', path);
      } catch (error) {
        if (!isNotFound(error)) this.onError(`delete ${path}`, error);
      }
    }
  }
}
