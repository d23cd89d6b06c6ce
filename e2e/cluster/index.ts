// What tests import: start a process kubelet for some namespaces, reach into
// its pods (kill a container's process, exec, read the hosts file and logs),
// and stop it. The kubelet runs as a child process (main.ts).
//
//   const kubelet = await startProcessKubelet({ kubeconfig, logDir, namespaces: [ns] });
//   ...
//   await kubelet.killContainer(ns, podName);          // SIGKILL the main process
//   console.log(kubelet.containerLog(ns, podName, 'app'));
//   await kubelet.stop();
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeletMessage, KubeletRequest } from './main.ts';
import type { ProcessKubeletOptions } from './kubelet.ts';
import { readContainerLog } from './logs.ts';

export type { ProcessKubeletOptions } from './kubelet.ts';
export type { ImageSpec, ImageTable } from './images.ts';
export { containerRunLogFile, kubeletLogFile, readContainerLog } from './logs.ts';

type RequestBody = KubeletRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

export interface ProcessKubeletHandle {
  readonly nodeName: string;
  /** The 127.N.0.0/16 its pods' addresses come from. */
  readonly podCIDR: string;
  readonly logDir: string;
  /** Sends `signal` (SIGKILL by default) to a container's main process; resolves with its pid. */
  killContainer(
    namespace: string,
    pod: string,
    options?: { container?: string; signal?: NodeJS.Signals },
  ): Promise<number>;
  /** Runs a command inside a running container, as `kubectl exec` would; output is stdout and stderr together. */
  exec(
    namespace: string,
    pod: string,
    command: string[],
    options?: { container?: string; timeoutMs?: number },
  ): Promise<{ exitCode: number; output: string; timedOut: boolean }>;
  /** The /etc/hosts a pod sees. */
  hostsFile(namespace: string, pod: string): Promise<string>;
  /** A container's output, all runs in order (or one run, by restart count). */
  containerLog(namespace: string, pod: string, container: string, run?: number): string;
  /** Stops every pod (SIGTERM, SIGKILL after `graceMs`), deletes them and the Node; waits for the kubelet to exit. */
  stop(graceMs?: number): Promise<void>;
}

const mainScript = join(import.meta.dirname, 'main.ts');
const START_TIMEOUT_MS = 60_000;

function tailOf(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-2000);
  } catch {
    return '';
  }
}

/**
 * Starts a process kubelet: a Node named after it, Ready, running the pods of
 * `namespaces`. Stop it in an `after` hook; if the test process dies first, the
 * kubelet notices the closed channel and stops its pods.
 */
export async function startProcessKubelet(options: ProcessKubeletOptions): Promise<ProcessKubeletHandle> {
  mkdirSync(options.logDir, { recursive: true });
  const output = join(options.logDir, 'kubelet.out');
  const out = openSync(output, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), mainScript, JSON.stringify(options)], {
      stdio: ['ignore', out, out, 'ipc'],
    });
  } finally {
    closeSync(out);
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  // The channel keeps the test process alive only while a request is waiting for its answer.
  const holdChannel = () => {
    if (pending.size > 0) child.channel?.ref();
    else child.channel?.unref();
  };

  const ready = await new Promise<{ nodeName: string; podCIDR: string }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`process kubelet not ready after ${START_TIMEOUT_MS} ms; see ${output}`));
    }, START_TIMEOUT_MS);
    child.on('message', (raw) => {
      const message = raw as KubeletMessage;
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve(message);
      } else if (message.type === 'failed') {
        clearTimeout(timer);
        reject(new Error(`process kubelet failed to start: ${message.error}`));
      } else if (message.type === 'reply') {
        const waiter = pending.get(message.id);
        pending.delete(message.id);
        holdChannel();
        if (message.ok) waiter?.resolve(message.value);
        else waiter?.reject(new Error(message.error));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      for (const waiter of pending.values()) waiter.reject(new Error('the process kubelet exited'));
      pending.clear();
      reject(new Error(`process kubelet exited (${code ?? signal}) before it was ready:\n${tailOf(output)}`));
    });
  });
  holdChannel();
  child.unref();

  const call = <T>(body: RequestBody): Promise<T> => {
    if (!child.connected) return Promise.reject(new Error('the process kubelet is not running'));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      holdChannel();
      child.send({ ...body, id });
    });
  };

  return {
    nodeName: ready.nodeName,
    podCIDR: ready.podCIDR,
    logDir: options.logDir,
    killContainer: (namespace, pod, o = {}) =>
      call({ op: 'kill', namespace, pod, container: o.container, signal: o.signal ?? 'SIGKILL' }),
    exec: (namespace, pod, command, o = {}) =>
      call({ op: 'exec', namespace, pod, container: o.container, command, timeoutMs: o.timeoutMs ?? 10_000 }),
    hostsFile: (namespace, pod) => call({ op: 'hosts', namespace, pod }),
    containerLog: (namespace, pod, container, run) => readContainerLog(options.logDir, namespace, pod, container, run),
    async stop(graceMs = 5000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.ref();
        if (child.connected) child.send({ id: 0, op: 'stop', graceMs } satisfies KubeletRequest);
        else child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs + 30_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
