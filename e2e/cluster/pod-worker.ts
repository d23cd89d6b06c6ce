// One pod on this node, from bound to gone: its sandbox (address, directory,
// hosts file, volumes), init containers in order, then its containers; status
// written after every change; on deletion, containers stopped within the grace
// period, the final status written and the pod removed from the API server.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { isNotFound, type KubeClient } from './api.ts';
import type { BackoffPolicy } from './backoff.ts';
import { ContainerRunner, type ContainerHost } from './container-runner.ts';
import type { PodRuntimeFacts } from './environment.ts';
import { podHostname } from './hosts.ts';
import type { ImageTable } from './images.ts';
import { timestamp, type Pod, type PodStatus } from './objects.ts';
import { podStatus, type PodRecord } from './pod-status.ts';
import type { SandboxTools } from './sandbox.ts';
import { prepareVolumes, UnsupportedVolumeError, type PreparedVolume } from './volumes.ts';

export interface PodWorkerContext {
  client: KubeClient;
  log: Logger;
  logDir: string;
  podsDir: string;
  hostIP: string;
  images: ImageTable;
  backoff: BackoffPolicy;
  tools: SandboxTools;
  apiServer: { host: string; port: string };
  allocatable: PodRuntimeFacts['allocatable'];
  allocateIP(): string;
  /** The hosts file for a pod, from the kubelet's view of Services and pods. */
  hostsFile(pod: Pod, podIP: string): string;
  event(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

const VOLUME_RETRY_MS = 2000;
const STATUS_RETRY_MS = 1000;

export class PodWorker {
  private pod: Pod;
  private readonly log: Logger;
  private readonly record: PodRecord;
  private readonly podDir: string;
  private podIP = '';
  private initRunners: ContainerRunner[] = [];
  private runners: ContainerRunner[] = [];
  private volumes = new Map<string, PreparedVolume>();
  private hosts = '';
  private terminating: Promise<void> | undefined;
  private gone = false;
  private retry: NodeJS.Timeout | undefined;
  private lastStatus: PodStatus | undefined;
  private syncing: Promise<void> | undefined;
  private dirty = false;

  constructor(
    private readonly ctx: PodWorkerContext,
    pod: Pod,
  ) {
    this.pod = pod;
    this.log = ctx.log.child({ namespace: pod.metadata.namespace, pod: pod.metadata.name });
    this.podDir = join(ctx.podsDir, pod.metadata.uid);
    const policy = pod.spec.restartPolicy ?? 'Always';
    this.record = {
      restartPolicy: policy === 'OnFailure' || policy === 'Never' ? policy : 'Always',
      hostIP: ctx.hostIP,
      startTime: timestamp(),
      sandboxReady: false,
      initContainers: [],
      containers: [],
      terminal: false,
    };
  }

  get uid(): string {
    return this.pod.metadata.uid;
  }

  /** A newer version of the pod from the watch. */
  update(pod: Pod): void {
    this.pod = pod;
    if (pod.metadata.deletionTimestamp && !this.terminating) {
      const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
      void this.terminate(grace * 1000, true);
    }
  }

  /** Runs the pod; returns when its containers have been started (not when they end). */
  async start(): Promise<void> {
    this.podIP = this.pod.spec.hostNetwork ? this.ctx.hostIP : this.ctx.allocateIP();
    this.record.podIP = this.podIP;
    mkdirSync(this.podDir, { recursive: true });
    this.refreshHosts();
    const host = this.containerHost();
    this.initRunners = (this.pod.spec.initContainers ?? []).map(
      (spec) => new ContainerRunner(host, spec, (exit) => exit.exitCode !== 0 && this.record.restartPolicy !== 'Never'),
    );
    this.runners = this.pod.spec.containers.map(
      (spec) =>
        new ContainerRunner(host, spec, (exit) =>
          this.record.restartPolicy === 'Always'
            ? true
            : this.record.restartPolicy === 'OnFailure' && exit.exitCode !== 0,
        ),
    );
    this.record.initContainers = this.initRunners.map((r) => r.record);
    this.record.containers = this.runners.map((r) => r.record);
    this.log.info({ podIP: this.podIP }, 'pod admitted');
    this.changed();
    if (!(await this.setUpVolumes())) return;
    this.record.sandboxReady = true;
    this.changed();
    for (const init of this.initRunners) {
      if (this.terminating) return;
      init.start();
      const exit = await init.finished;
      if (exit.exitCode !== 0) {
        this.markTerminalIfDone();
        return;
      }
    }
    if (this.terminating) return;
    for (const runner of this.runners) {
      runner.start();
      void runner.finished.then(() => this.markTerminalIfDone());
    }
  }

  private containerHost(): ContainerHost {
    const { ctx } = this;
    const apiServer = ctx.apiServer;
    return {
      client: ctx.client,
      log: this.log,
      logDir: ctx.logDir,
      images: ctx.images,
      backoff: ctx.backoff,
      tools: ctx.tools,
      baseEnv: {
        HOSTNAME: podHostname(this.pod),
        HOME: '/root',
        KUBERNETES_SERVICE_HOST: apiServer.host,
        KUBERNETES_SERVICE_PORT: apiServer.port,
        KUBERNETES_SERVICE_PORT_HTTPS: apiServer.port,
        KUBERNETES_PORT: `tcp://${apiServer.host}:${apiServer.port}`,
      },
      pod: () => this.pod,
      podDir: this.podDir,
      facts: { podIP: this.podIP, hostIP: ctx.hostIP, allocatable: ctx.allocatable },
      volumes: this.volumes,
      changed: () => this.changed(),
      event: (type, reason, message) => ctx.event(this.pod, type, reason, message),
    };
  }

  /** Writes the volumes, retrying while something they need is missing; false when the pod cannot run. */
  private async setUpVolumes(): Promise<boolean> {
    for (;;) {
      if (this.terminating) return false;
      try {
        const prepared = await prepareVolumes({
          client: this.ctx.client,
          pod: this.pod,
          podDir: this.podDir,
          facts: { podIP: this.podIP, hostIP: this.ctx.hostIP, allocatable: this.ctx.allocatable },
        });
        for (const [name, volume] of prepared) this.volumes.set(name, volume);
        return true;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (error instanceof UnsupportedVolumeError) {
          this.record.failure = { reason: 'UnsupportedVolume', message };
          this.record.terminal = true;
          this.ctx.event(this.pod, 'Warning', 'FailedMount', message);
          this.changed();
          return false;
        }
        this.log.warn({ err: error }, 'volume setup failed; retrying');
        this.ctx.event(this.pod, 'Warning', 'FailedMount', `MountVolume.SetUp failed: ${message}`);
        await new Promise((resolve) => (this.retry = setTimeout(resolve, VOLUME_RETRY_MS)));
      }
    }
  }

  /** No container will run again once an init container failed for good or every container has ended. */
  private markTerminalIfDone(): void {
    const initFailed = this.initRunners.some((r) => (r.record.state.terminated?.exitCode ?? 0) !== 0);
    const mainDone = this.runners.every((r) => r.record.state.terminated !== undefined);
    if (initFailed || mainDone) {
      this.record.terminal = true;
      this.changed();
    }
  }

  /** Rewrites the hosts file in place (it is bind-mounted, so a new file would not be seen) when it changed. */
  refreshHosts(): void {
    if (!this.podIP || this.gone) return;
    const content = this.ctx.hostsFile(this.pod, this.podIP);
    if (content === this.hosts) return;
    this.hosts = content;
    writeFileSync(join(this.podDir, 'hosts'), content);
  }

  private changed(): void {
    this.dirty = true;
    if (!this.syncing) this.syncing = this.sync().finally(() => (this.syncing = undefined));
  }

  /** Writes the status until it is current; one request at a time per pod. */
  private async sync(): Promise<void> {
    while (this.dirty && !this.gone) {
      this.dirty = false;
      const scheduled = this.pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
      const status = podStatus(this.record, this.lastStatus, scheduled, timestamp());
      if (JSON.stringify(status) === JSON.stringify(this.lastStatus)) continue;
      const { namespace, name, uid } = this.pod.metadata;
      try {
        await this.ctx.client.request('PATCH', `/api/v1/namespaces/${namespace}/pods/${name}/status`, {
          // The uid makes the patch fail rather than touch a new pod of the same name.
          body: { metadata: { uid }, status },
          contentType: 'application/merge-patch+json',
        });
        this.lastStatus = status;
      } catch (error) {
        if (isNotFound(error)) {
          this.gone = true;
          return;
        }
        this.log.warn({ err: error }, 'pod status update failed; retrying');
        this.dirty = true;
        await new Promise((resolve) => setTimeout(resolve, STATUS_RETRY_MS));
      }
    }
  }

  /** The pod's container by name (the first one when no name is given). */
  container(name?: string): ContainerRunner | undefined {
    const all = [...this.runners, ...this.initRunners];
    return name === undefined ? this.runners[0] : all.find((r) => r.spec.name === name);
  }

  /**
   * Stops the pod: every container within `graceMs`, then the final status;
   * with `remove`, deletes the pod object (the kubelet's last word on a deleted pod).
   */
  terminate(graceMs: number, remove: boolean): Promise<void> {
    this.terminating ??= this.doTerminate(graceMs, remove);
    return this.terminating;
  }

  private async doTerminate(graceMs: number, remove: boolean): Promise<void> {
    clearTimeout(this.retry);
    this.record.terminal = true;
    this.log.info({ graceMs }, 'stopping pod');
    await Promise.all([...this.runners, ...this.initRunners].map((r) => r.stop(graceMs)));
    this.changed();
    await this.syncing;
    if (remove && !this.gone) {
      const { namespace, name, uid } = this.pod.metadata;
      try {
        await this.ctx.client.request('DELETE', `/api/v1/namespaces/${namespace}/pods/${name}`, {
          body: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid } },
        });
      } catch (error) {
        if (!isNotFound(error)) this.log.warn({ err: error }, 'deleting the pod failed');
      }
    }
    this.gone = true;
    rmSync(this.podDir, { recursive: true, force: true });
    this.log.info('pod stopped');
  }

  /** The pod object is gone from the API server: stop without writing status. */
  removed(graceMs: number): Promise<void> {
    this.gone = true;
    return this.terminate(graceMs, false);
  }

  /** The hosts file as the pod sees it (for tests). */
  hostsFileContent(): string {
    return readFileSync(join(this.podDir, 'hosts'), 'utf8');
  }
}
