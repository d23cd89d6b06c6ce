// The process kubelet: registers a Node, binds the unscheduled pods of its
// namespaces to it (it is the scheduler too: one node, nothing to choose), runs
// the pods bound to it through pod workers, and keeps every pod's hosts file
// current as Services and pod readiness change.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { KubeClient, isConflict } from './api.ts';
import { defaultBackoff, type BackoffPolicy } from './backoff.ts';
import { hostsFile } from './hosts.ts';
import { defaultImages, type ImageTable } from './images.ts';
import { kubeletLogFile } from './logs.ts';
import { NodeAgent, nodeAllocatable } from './node.ts';
import { timestamp, type Pod, type Service } from './objects.ts';
import { PodWorker, type PodWorkerContext } from './pod-worker.ts';
import { Reflector, type ChangeType } from './reflector.ts';
import { findSandboxTools } from './sandbox.ts';
import { PID_FILE, removeStaleDirectories, removeStaleNodes } from './stale.ts';
import { PodSubnet } from './subnet.ts';

export interface ProcessKubeletOptions {
  /** A kubeconfig with rights over Nodes, Leases, Pods (status, binding), Events and TokenRequests: the admin one. */
  kubeconfig: string;
  /** Container logs (pods/<ns>/<pod>/<container>/<restartCount>.log) and kubelet.log go here. */
  logDir: string;
  /** The namespaces whose pods this kubelet schedules and runs, and whose Services its pods resolve. */
  namespaces: string[];
  nodeName?: string;
  /** Image specs by repository name, on top of the defaults (brook, node). */
  images?: ImageTable;
  /** CrashLoopBackOff timing; the kubelet's 10 s doubling to 5 min unless given. */
  backoff?: BackoffPolicy;
}

const KUBELET_VERSION = 'v1.36.3-process';
const HOST_IP = '127.0.0.1';

export class ProcessKubelet {
  private readonly workers = new Map<string, PodWorker>();
  private readonly binding = new Set<string>();
  private readonly reflectors: { start(): Promise<void>; stop(): void }[] = [];
  private readonly pods = new Map<string, Reflector<Pod>>();
  private readonly services = new Map<string, Reflector<Service>>();
  private hostsTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly options: ProcessKubeletOptions,
    private readonly client: KubeClient,
    private readonly log: Logger,
    private readonly subnet: PodSubnet,
    private readonly node: NodeAgent,
    private readonly podsDir: string,
  ) {}

  get nodeName(): string {
    return this.node.name;
  }

  get podCIDR(): string {
    return this.subnet.cidr;
  }

  static async start(options: ProcessKubeletOptions): Promise<ProcessKubelet> {
    mkdirSync(options.logDir, { recursive: true });
    const log = pino({ base: undefined }, pino.destination({ dest: kubeletLogFile(options.logDir), sync: true }));
    const client = await KubeClient.fromKubeconfig(options.kubeconfig);
    const nodeName = options.nodeName ?? `process-kubelet-${randomBytes(4).toString('hex')}`;
    const subnet = new PodSubnet();
    const onError = (what: string, error: unknown) => log.warn({ err: error }, `${what} failed`);
    const node = new NodeAgent(client, nodeName, subnet.cidr, KUBELET_VERSION, onError);
    const root = join(tmpdir(), 'brook-process-kubelet');
    const stale = [...(await removeStaleNodes(client)), ...removeStaleDirectories(root)];
    if (stale.length > 0) log.info({ stale }, 'removed what dead process kubelets left behind');
    mkdirSync(root, { recursive: true });
    const podsDir = mkdtempSync(join(root, `${nodeName}-`));
    writeFileSync(join(podsDir, PID_FILE), String(process.pid));
    const kubelet = new ProcessKubelet(options, client, log, subnet, node, podsDir);
    try {
      await node.register();
      await kubelet.watch();
    } catch (error) {
      await kubelet.stop(0);
      throw error;
    }
    log.info({ nodeName, podCIDR: subnet.cidr, namespaces: options.namespaces }, 'kubelet started');
    return kubelet;
  }

  private async watch(): Promise<void> {
    const onError = (error: unknown) => this.log.warn({ err: error }, 'watch failed; listing again');
    for (const namespace of this.options.namespaces) {
      const pods = new Reflector<Pod>(
        this.client,
        `/api/v1/namespaces/${namespace}/pods`,
        (type, pod) => this.podChanged(type, pod),
        onError,
      );
      const services = new Reflector<Service>(
        this.client,
        `/api/v1/namespaces/${namespace}/services`,
        () => this.scheduleHostsRefresh(),
        onError,
      );
      this.pods.set(namespace, pods);
      this.services.set(namespace, services);
      this.reflectors.push(pods, services);
    }
    await Promise.all(this.reflectors.map((r) => r.start()));
  }

  private cachedContext: PodWorkerContext | undefined;

  private get context(): PodWorkerContext {
    const server = this.client.server;
    return (this.cachedContext ??= {
      client: this.client,
      log: this.log,
      logDir: this.options.logDir,
      podsDir: this.podsDir,
      hostIP: HOST_IP,
      images: { ...defaultImages, ...this.options.images },
      backoff: this.options.backoff ?? defaultBackoff,
      tools: findSandboxTools(),
      apiServer: { host: server.hostname, port: server.port || '443' },
      allocatable: nodeAllocatable(),
      allocateIP: () => this.subnet.allocate(),
      hostsFile: (pod: Pod, podIP: string) =>
        hostsFile(pod, podIP, this.allServices(), this.allPods(), server.hostname),
      event: (pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string) =>
        void this.event(pod, type, reason, message),
    });
  }

  private *allPods(): Iterable<Pod> {
    for (const reflector of this.pods.values()) yield* reflector.items.values();
  }

  private *allServices(): Iterable<Service> {
    for (const reflector of this.services.values()) yield* reflector.items.values();
  }

  private podChanged(type: ChangeType, pod: Pod): void {
    this.scheduleHostsRefresh();
    if (this.stopping) return;
    const { uid } = pod.metadata;
    const worker = this.workers.get(uid);
    if (type === 'DELETED') {
      if (worker) void worker.removed(2000).finally(() => this.workers.delete(uid));
      return;
    }
    if (worker) {
      worker.update(pod);
      return;
    }
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return;
    if (!pod.spec.nodeName) {
      this.bind(pod);
      return;
    }
    if (pod.spec.nodeName !== this.nodeName) return;
    const started = new PodWorker(this.context, pod);
    this.workers.set(uid, started);
    if (pod.metadata.deletionTimestamp) {
      started.update(pod);
      return;
    }
    started
      .start()
      .catch((error: unknown) => this.log.error({ err: error, pod: pod.metadata.name }, 'pod failed to start'));
  }

  /** What the scheduler does for a pod in our namespaces: bind it to our node through the binding subresource. */
  private bind(pod: Pod): void {
    const { namespace, name, uid } = pod.metadata;
    const scheduler = pod.spec.schedulerName ?? 'default-scheduler';
    if (scheduler !== 'default-scheduler' || pod.metadata.deletionTimestamp || this.binding.has(uid)) return;
    this.binding.add(uid);
    this.client
      .request('POST', `/api/v1/namespaces/${namespace}/pods/${name}/binding`, {
        body: {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name, uid },
          target: { apiVersion: 'v1', kind: 'Node', name: this.nodeName },
        },
      })
      .then(() =>
        this.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${this.nodeName}`),
      )
      .catch((error: unknown) => {
        if (!isConflict(error)) this.log.warn({ err: error, pod: name }, 'binding failed');
      })
      .finally(() => this.binding.delete(uid));
  }

  private scheduleHostsRefresh(): void {
    if (this.hostsTimer) return;
    this.hostsTimer = setTimeout(() => {
      this.hostsTimer = undefined;
      for (const worker of this.workers.values()) {
        try {
          worker.refreshHosts();
        } catch (error) {
          this.log.warn({ err: error }, 'hosts file update failed');
        }
      }
    }, 20);
  }

  /** An Event on the pod, as `kubectl describe` shows them; best effort. */
  private async event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const { namespace, name, uid } = pod.metadata;
    const now = timestamp();
    try {
      await this.client.request('POST', `/api/v1/namespaces/${namespace}/events`, {
        body: {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name: `${name}.${randomBytes(8).toString('hex')}`, namespace },
          involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace, name, uid },
          reason,
          message,
          type,
          source: { component: reason === 'Scheduled' ? 'default-scheduler' : 'kubelet', host: this.nodeName },
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    } catch (error) {
      this.log.debug({ err: error }, 'event not recorded');
    }
  }

  private worker(namespace: string, pod: string): PodWorker {
    const object = this.pods.get(namespace)?.items.get(`${namespace}/${pod}`);
    const worker = object && this.workers.get(object.metadata.uid);
    if (!worker) throw new Error(`pod ${namespace}/${pod} does not run on node ${this.nodeName}`);
    return worker;
  }

  /** Sends `signal` to a container's main process; returns its pid. Throws when it is not running. */
  killContainer(namespace: string, pod: string, container: string | undefined, signal: NodeJS.Signals): number {
    const runner = this.worker(namespace, pod).container(container);
    const pid = runner?.signal(signal);
    if (pid === undefined) throw new Error(`container ${container ?? '(first)'} of ${namespace}/${pod} is not running`);
    this.log.info({ namespace, pod, container: runner!.spec.name, pid, signal }, 'container signalled by a test');
    return pid;
  }

  /** Runs a command inside a running container (its mount namespace, environment and working directory). */
  async exec(namespace: string, pod: string, container: string | undefined, command: string[], timeoutMs: number) {
    const runner = this.worker(namespace, pod).container(container);
    if (!runner?.running) throw new Error(`container ${container ?? '(first)'} of ${namespace}/${pod} is not running`);
    return runner.exec(command, timeoutMs);
  }

  /** The hosts file a pod sees. */
  hostsFileOf(namespace: string, pod: string): string {
    return this.worker(namespace, pod).hostsFileContent();
  }

  /**
   * Stops like a node going away for good: watches end, every pod's containers
   * are stopped (SIGTERM, SIGKILL after `graceMs`), its final status written and
   * the pod deleted; then the Node and its Lease are deleted.
   */
  stop(graceMs = 5000): Promise<void> {
    this.stopping ??= this.doStop(graceMs);
    return this.stopping;
  }

  private async doStop(graceMs: number): Promise<void> {
    for (const reflector of this.reflectors) reflector.stop();
    clearTimeout(this.hostsTimer);
    await Promise.all([...this.workers.values()].map((w) => w.terminate(graceMs, true)));
    this.workers.clear();
    await this.node.deregister();
    this.subnet.release();
    rmSync(this.podsDir, { recursive: true, force: true });
    this.client.close();
    this.log.info('kubelet stopped');
    this.log.flush();
  }
}
