// One container of a pod across its runs: builds its environment and mounts,
// starts it in its sandbox, runs its probes and hooks, and on exit restarts it
// as the restart policy says, with CrashLoopBackOff between failed runs.
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { V1LifecycleHandler, V1Probe } from '@kubernetes/client-node';
import { isNotFound, type KubeClient } from './api.ts';
import { nextBackoff, restartDelay, type BackoffEntry, type BackoffPolicy } from './backoff.ts';
import { ContainerProcess, type ContainerExit } from './container-process.ts';
import {
  ContainerConfigError,
  containerEnvironment,
  expand,
  referencedSources,
  type EnvSources,
  type PodRuntimeFacts,
} from './environment.ts';
import { containerArgv, resolveImage, type ImageTable } from './images.ts';
import { containerRunLogFile } from './logs.ts';
import {
  timestamp,
  type ConfigMap,
  type Container,
  type ContainerStateTerminated,
  type Pod,
  type Secret,
} from './objects.ts';
import type { ContainerRecord } from './pod-status.ts';
import { execInContainer, Prober, runAction, type ProbeTarget } from './probes.ts';
import { sandboxCommand, type Mount, type SandboxTools } from './sandbox.ts';
import type { PreparedVolume } from './volumes.ts';

/** What a pod worker gives its containers. */
export interface ContainerHost {
  client: KubeClient;
  log: Logger;
  logDir: string;
  images: ImageTable;
  backoff: BackoffPolicy;
  tools: SandboxTools;
  /** HOSTNAME and the KUBERNETES_SERVICE_* variables. */
  baseEnv: Record<string, string>;
  pod(): Pod;
  podDir: string;
  facts: PodRuntimeFacts;
  volumes: Map<string, PreparedVolume>;
  /** Something in the container's record changed: write the pod status. */
  changed(): void;
  event(type: 'Normal' | 'Warning', reason: string, message: string): void;
}

const CONFIG_RETRY_MS = 2000;
const TAIL_BYTES = 2048;

function tail(file: string): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.slice(-TAIL_BYTES).trim();
  } catch {
    return '';
  }
}

async function readSources(host: ContainerHost, container: Container): Promise<EnvSources> {
  const wanted = referencedSources(container);
  const namespace = host.pod().metadata.namespace!;
  const sources: EnvSources = { configMaps: new Map(), secrets: new Map() };
  const read = async <T>(kind: string, name: string): Promise<T | undefined> => {
    try {
      return await host.client.request<T>('GET', `/api/v1/namespaces/${namespace}/${kind}/${name}`);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  };
  for (const name of wanted.configMaps) {
    const object = await read<ConfigMap>('configmaps', name);
    if (object) sources.configMaps.set(name, { ...object.data });
  }
  for (const name of wanted.secrets) {
    const object = await read<Secret>('secrets', name);
    if (!object) continue;
    const decoded: Record<string, string> = {};
    for (const [key, value] of Object.entries(object.data ?? {}))
      decoded[key] = Buffer.from(value, 'base64').toString();
    sources.secrets.set(name, decoded);
  }
  return sources;
}

export class ContainerRunner {
  readonly record: ContainerRecord;
  private process: ContainerProcess | undefined;
  private env: Record<string, string> = {};
  private probers: Prober[] = [];
  private timer: NodeJS.Timeout | undefined;
  private backoffEntry: BackoffEntry | undefined;
  private stopping = false;
  private resolveFinished!: (exit: ContainerExit) => void;
  /** Resolves when the container has exited for good (no restart follows). */
  readonly finished = new Promise<ContainerExit>((resolve) => (this.resolveFinished = resolve));

  constructor(
    private readonly host: ContainerHost,
    readonly spec: Container,
    /** Whether a run that ended with `exit` is followed by another. */
    private readonly restarts: (exit: ContainerExit) => boolean,
  ) {
    const image = resolveImage(spec.image ?? '', host.images);
    this.record = {
      name: spec.name,
      image: spec.image ?? '',
      imageID: `process://${image.root?.hostPath ?? 'host'}`,
      restartCount: 0,
      state: { waiting: { reason: 'ContainerCreating' } },
      lastState: {},
      ready: false,
      started: false,
    };
  }

  get pid(): number | undefined {
    return this.process?.running ? this.process.pid : undefined;
  }

  get running(): boolean {
    return this.process?.running ?? false;
  }

  /** Starts the first run. */
  start(): void {
    void this.launch();
  }

  private waiting(reason: string, message: string): void {
    this.record.state = { waiting: { reason, message } };
    this.host.changed();
  }

  private async launch(): Promise<void> {
    if (this.stopping) return;
    const { host, spec } = this;
    const pod = host.pod();
    let argv: string[];
    let mounts: Mount[];
    let workingDir: string;
    try {
      const image = resolveImage(spec.image ?? '', host.images);
      const sources = await readSources(host, spec);
      this.env = containerEnvironment(pod, spec, host.facts, { ...image.env, ...host.baseEnv }, sources);
      argv = containerArgv(image, spec.command, spec.args).map((part) => expand(part, this.env));
      if (argv.length === 0) throw new ContainerConfigError(`image ${spec.image} has no entrypoint here: set command`);
      mounts = this.mounts(image.root);
      workingDir = spec.workingDir || image.workingDir || '/';
    } catch (error) {
      if (this.stopping) return;
      const config = error instanceof ContainerConfigError;
      const message = error instanceof Error ? error.message : String(error);
      this.waiting(config ? 'CreateContainerConfigError' : 'CreateContainerError', message);
      host.event('Warning', 'Failed', `Error: ${message}`);
      this.timer = setTimeout(() => void this.launch(), CONFIG_RETRY_MS);
      return;
    }
    if (this.stopping) return;
    const logFile = containerRunLogFile(
      host.logDir,
      pod.metadata.namespace!,
      pod.metadata.name,
      spec.name,
      this.record.restartCount,
    );
    mkdirSync(join(logFile, '..'), { recursive: true });
    const { command, args } = sandboxCommand(host.podDir, mounts, workingDir, argv, host.tools);
    const run = new ContainerProcess(command, args, this.env, logFile);
    this.process = run;
    const startedAt = timestamp(run.startedAt);
    this.record.containerID = `process://${run.pid}`;
    this.record.state = { running: { startedAt } };
    this.record.started = !spec.startupProbe;
    this.record.ready = this.record.started && !spec.readinessProbe;
    host.log.info(
      { container: spec.name, pid: run.pid, argv, restartCount: this.record.restartCount },
      'container started',
    );
    host.event('Normal', 'Started', `Started container ${spec.name}`);
    host.changed();
    void run.exited.then((exit) => this.exited(run, exit, startedAt, logFile));
    if (spec.lifecycle?.postStart) void this.hook('PostStart', spec.lifecycle.postStart, run);
    this.startProbes(run);
  }

  /** The image's tree, the hosts file, then the volume mounts, as the sandbox mounts them. */
  private mounts(root: { hostPath: string; mountPath: string } | undefined): Mount[] {
    const { host, spec } = this;
    const mounts: Mount[] = [];
    if (root) {
      const layer = join('containers', spec.name);
      rmSync(join(host.podDir, layer), { recursive: true, force: true });
      for (const dir of ['upper', 'work']) mkdirSync(join(host.podDir, layer, dir), { recursive: true });
      mounts.push({
        kind: 'overlay',
        lower: root.hostPath,
        upper: `${layer}/upper`,
        work: `${layer}/work`,
        target: root.mountPath,
      });
    }
    mounts.push({ kind: 'bind', source: 'hosts', target: '/etc/hosts', file: true });
    for (const mount of spec.volumeMounts ?? []) {
      const volume = host.volumes.get(mount.name);
      if (!volume) throw new ContainerConfigError(`volumeMount ${mount.name} names no volume of the pod`);
      const subPath = mount.subPathExpr ? expand(mount.subPathExpr, this.env) : mount.subPath;
      const source = subPath ? join(volume.source, subPath) : volume.source;
      const absolute = source.startsWith('/') ? source : join(host.podDir, source);
      let file = false;
      try {
        file = statSync(absolute).isFile();
      } catch {
        // a subPath that does not exist yet is created as a directory, as the kubelet does
        mkdirSync(absolute, { recursive: true });
      }
      mounts.push({ kind: 'bind', source, target: mount.mountPath, readOnly: mount.readOnly || volume.readOnly, file });
    }
    return mounts;
  }

  private probeTarget(run: ContainerProcess): ProbeTarget {
    return {
      podIP: this.host.facts.podIP,
      ports: this.spec.ports ?? [],
      pid: () => (run.running ? run.pid : undefined),
      env: this.env,
      nsenter: this.host.tools.nsenter,
    };
  }

  private startProbes(run: ContainerProcess): void {
    const { spec } = this;
    const target = this.probeTarget(run);
    const prober = (probe: V1Probe, kind: string, onVerdict: (ok: boolean, message: string) => void) => {
      const p = new Prober(probe, target, onVerdict, (message) =>
        this.host.event('Warning', 'Unhealthy', `${kind} probe failed: ${message}`),
      );
      this.probers.push(p);
      p.start();
    };
    const afterStartup = () => {
      if (spec.readinessProbe) {
        prober(spec.readinessProbe, 'Readiness', (ok) => {
          if (this.process !== run || !run.running) return;
          this.record.ready = ok;
          this.host.changed();
        });
      }
      if (spec.livenessProbe) {
        const probe = spec.livenessProbe;
        prober(probe, 'Liveness', (ok, message) => {
          if (!ok) this.killUnhealthy(run, 'Liveness', message, probe.terminationGracePeriodSeconds);
        });
      }
    };
    if (!spec.startupProbe) {
      afterStartup();
      return;
    }
    const startup = spec.startupProbe;
    prober(startup, 'Startup', (ok, message) => {
      if (!ok) {
        this.killUnhealthy(run, 'Startup', message, startup.terminationGracePeriodSeconds);
        return;
      }
      if (this.process !== run || this.record.started) return;
      this.record.started = true;
      this.record.ready = !spec.readinessProbe;
      this.host.changed();
      afterStartup();
    });
  }

  private stopProbes(): void {
    for (const p of this.probers) p.stop();
    this.probers = [];
  }

  private killUnhealthy(run: ContainerProcess, kind: string, message: string, graceSeconds?: number | null): void {
    if (this.process !== run || !run.running || this.stopping) return;
    this.host.event(
      'Normal',
      'Killing',
      `Container ${this.spec.name} failed ${kind.toLowerCase()} probe, will be restarted`,
    );
    this.host.log.info({ container: this.spec.name, kind, message }, 'probe failed: killing container');
    this.stopProbes();
    const grace = graceSeconds ?? this.host.pod().spec.terminationGracePeriodSeconds ?? 30;
    void run.stop(grace * 1000);
  }

  private async hook(name: string, handler: V1LifecycleHandler, run: ContainerProcess): Promise<void> {
    const graceMs = (this.host.pod().spec.terminationGracePeriodSeconds ?? 30) * 1000;
    const result = await runAction(handler, this.probeTarget(run), graceMs);
    if (result.ok || !run.running) return;
    this.host.event('Warning', `Failed${name}Hook`, result.message);
    if (name === 'PostStart') this.killUnhealthy(run, name, result.message);
  }

  private exited(run: ContainerProcess, exit: ContainerExit, startedAt: string, logFile: string): void {
    if (this.process !== run) return;
    this.stopProbes();
    const { spec, record } = this;
    const failed = exit.exitCode !== 0;
    const terminated: ContainerStateTerminated = {
      exitCode: exit.exitCode,
      ...(exit.signal !== undefined ? { signal: exit.signal } : {}),
      reason: exit.startError ? 'StartError' : failed ? 'Error' : 'Completed',
      startedAt,
      finishedAt: timestamp(exit.finishedAt),
      containerID: record.containerID!,
    };
    const message =
      exit.startError ?? (failed && spec.terminationMessagePolicy === 'FallbackToLogsOnError' ? tail(logFile) : '');
    if (message) terminated.message = message;
    record.ready = false;
    record.started = false;
    this.host.log.info({ container: spec.name, pid: run.pid, ...exit }, 'container exited');
    if (this.stopping || !this.restarts(exit)) {
      record.state = { terminated };
      this.host.changed();
      this.resolveFinished(exit);
      return;
    }
    record.lastState = { terminated };
    const delay = restartDelay(this.backoffEntry, exit.finishedAt, Date.now(), this.host.backoff);
    if (delay > 0) {
      const pod = this.host.pod().metadata;
      const seconds = Math.round(delay / 1000);
      const text = `back-off ${seconds}s restarting failed container=${spec.name} pod=${pod.name}_${pod.namespace}(${pod.uid})`;
      this.waiting('CrashLoopBackOff', text);
      this.host.event('Warning', 'BackOff', `Back-off restarting failed container ${spec.name}`);
    }
    this.timer = setTimeout(() => this.restart(), delay);
  }

  private restart(): void {
    if (this.stopping) return;
    this.backoffEntry = nextBackoff(this.backoffEntry, Date.now(), this.host.backoff);
    this.record.restartCount++;
    void this.launch();
  }

  /** Sends a signal to the container's main process (a test's way to make it fail); the pid, or undefined. */
  signal(signal: NodeJS.Signals): number | undefined {
    const pid = this.pid;
    if (pid !== undefined && this.process?.signal(signal)) return pid;
    return undefined;
  }

  /** Runs a command in the container, as `kubectl exec` would. */
  exec(command: string[], timeoutMs: number) {
    const run = this.process;
    return execInContainer(
      { pid: () => (run?.running ? run.pid : undefined), env: this.env, nsenter: this.host.tools.nsenter },
      command,
      timeoutMs,
    );
  }

  /**
   * Stops for good: no restart, the preStop hook, then SIGTERM and SIGKILL after
   * `graceMs`. A container never started, or waiting to restart, ends with its last state.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    this.stopProbes();
    const run = this.process;
    if (run?.running) {
      const deadline = Date.now() + graceMs;
      const preStop = this.spec.lifecycle?.preStop;
      if (preStop && graceMs > 0) {
        this.host.event('Normal', 'Killing', `Stopping container ${this.spec.name}`);
        await runAction(preStop, this.probeTarget(run), graceMs);
      }
      await run.stop(Math.max(0, deadline - Date.now()));
      return;
    }
    if (!this.record.state.terminated) {
      this.record.state = this.record.lastState.terminated
        ? { terminated: this.record.lastState.terminated }
        : {
            terminated: {
              exitCode: 137,
              reason: 'ContainerStatusUnknown',
              message: 'The container was never started',
              startedAt: timestamp(),
              finishedAt: timestamp(),
            },
          };
      this.record.ready = false;
      this.host.changed();
    }
    this.resolveFinished({ exitCode: this.record.state.terminated!.exitCode, finishedAt: Date.now() });
  }
}
