// Probes and lifecycle hooks: httpGet, tcpSocket and exec (run in the
// container's mount namespace through nsenter) with the kubelet's timing
// (initial delay, period, timeout, success and failure thresholds).
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { V1ContainerPort, V1LifecycleHandler, V1Probe } from '@kubernetes/client-node';

export interface ProbeTarget {
  podIP: string;
  ports: V1ContainerPort[];
  /** The container's main process now, for exec (undefined when it is not running). */
  pid(): number | undefined;
  env: Record<string, string>;
  nsenter: string;
}

export interface ProbeResult {
  ok: boolean;
  message: string;
}

type Action = Pick<V1Probe, 'httpGet' | 'tcpSocket' | 'exec' | 'grpc'> & Pick<V1LifecycleHandler, 'sleep'>;

function resolvePort(port: number | string | undefined, target: ProbeTarget): number {
  if (typeof port === 'number') return port;
  if (port !== undefined && /^\d+$/.test(port)) return Number(port);
  const named = target.ports.find((p) => p.name === port);
  if (!named) throw new Error(`the container has no port named '${port}'`);
  return named.containerPort;
}

function httpGet(action: NonNullable<V1Probe['httpGet']>, target: ProbeTarget, timeoutMs: number) {
  return new Promise<ProbeResult>((resolve) => {
    const scheme = (action.scheme ?? 'HTTP').toUpperCase();
    const headers: Record<string, string> = { 'user-agent': 'kube-probe/process-kubelet', accept: '*/*' };
    for (const header of action.httpHeaders ?? []) headers[header.name] = header.value;
    const send = scheme === 'HTTPS' ? httpsRequest : httpRequest;
    const req = send(
      {
        host: action.host || target.podIP,
        port: resolvePort(action.port, target),
        path: action.path || '/',
        method: 'GET',
        headers,
        timeout: timeoutMs,
        rejectUnauthorized: false,
        agent: false,
      },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        resolve({ ok: status >= 200 && status < 400, message: `HTTP probe failed with statuscode: ${status}` });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', (error) => resolve({ ok: false, message: `Get ${scheme.toLowerCase()} probe: ${error.message}` }));
    req.end();
  });
}

function tcpSocket(action: NonNullable<V1Probe['tcpSocket']>, target: ProbeTarget, timeoutMs: number) {
  return new Promise<ProbeResult>((resolve) => {
    const host = action.host || target.podIP;
    const port = resolvePort(action.port, target);
    const socket = connect({ host, port, timeout: timeoutMs });
    const done = (result: ProbeResult) => {
      socket.destroy();
      resolve(result);
    };
    socket.once('connect', () => done({ ok: true, message: '' }));
    socket.once('timeout', () => done({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` }));
    socket.once('error', (error) => done({ ok: false, message: `dial tcp ${host}:${port}: ${error.message}` }));
  });
}

/** Runs `command` inside the container (its mount namespace and working directory), as `kubectl exec` would. */
export function execInContainer(
  target: Pick<ProbeTarget, 'pid' | 'env' | 'nsenter'>,
  command: string[],
  timeoutMs: number,
): Promise<{ exitCode: number; output: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const pid = target.pid();
    if (pid === undefined) {
      resolve({ exitCode: -1, output: 'container is not running', timedOut: false });
      return;
    }
    const child = spawn(target.nsenter, ['--target', String(pid), '--mount', '--wd', '--', ...command], {
      env: target.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      if (output.length < 64 * 1024) output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ exitCode: -1, output: error.message, timedOut });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ exitCode: code ?? (signal ? 128 : -1), output, timedOut });
    });
  });
}

/** Runs one probe or hook action once. */
export async function runAction(action: Action, target: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  try {
    if (action.httpGet) return await httpGet(action.httpGet, target, timeoutMs);
    if (action.tcpSocket) return await tcpSocket(action.tcpSocket, target, timeoutMs);
    if (action.exec?.command?.length) {
      const result = await execInContainer(target, action.exec.command, timeoutMs);
      if (result.timedOut) return { ok: false, message: `command timed out after ${timeoutMs} ms` };
      return { ok: result.exitCode === 0, message: result.output.trim() || `exit code ${result.exitCode}` };
    }
    if (action.sleep) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(action.sleep!.seconds * 1000, timeoutMs)));
      return { ok: true, message: '' };
    }
    if (action.grpc) return { ok: false, message: 'grpc probes are not supported by the process kubelet' };
    return { ok: false, message: 'the probe names no action' };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * One probe of one container run: runs after the initial delay at every
 * period and reports each time its verdict changes (after the thresholds).
 */
export class Prober {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private successes = 0;
  private failures = 0;
  /** The verdict: undefined until the thresholds are first met. */
  verdict: boolean | undefined;

  constructor(
    private readonly probe: V1Probe,
    private readonly target: ProbeTarget,
    private readonly onVerdict: (ok: boolean, message: string) => void,
    private readonly onFailure: (message: string) => void = () => {},
  ) {}

  start(): void {
    this.schedule((this.probe.initialDelaySeconds ?? 0) * 1000);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    const timeoutMs = (this.probe.timeoutSeconds ?? 1) * 1000;
    const result = await runAction(this.probe, this.target, timeoutMs);
    if (this.stopped) return;
    if (result.ok) {
      this.successes++;
      this.failures = 0;
      if (this.verdict !== true && this.successes >= (this.probe.successThreshold ?? 1)) this.decide(true, '');
    } else {
      this.failures++;
      this.successes = 0;
      this.onFailure(result.message);
      if (this.verdict !== false && this.failures >= (this.probe.failureThreshold ?? 3)) {
        this.decide(false, result.message);
      }
    }
    this.schedule((this.probe.periodSeconds ?? 10) * 1000);
  }

  private decide(ok: boolean, message: string): void {
    this.verdict = ok;
    this.onVerdict(ok, message);
  }
}
