// The process kubelet as a process of its own (what startProcessKubelet runs),
// so that a test's synchronous work never stalls probes, heartbeats or
// restarts. It obeys requests over the IPC channel and stops, killing its
// pods, when asked, on SIGTERM/SIGINT, or when the parent goes away.
//
//   node --import tsx e2e/cluster/main.ts '{"kubeconfig":"...","logDir":"...","namespaces":["ns"]}'
import { ProcessKubelet, type ProcessKubeletOptions } from './kubelet.ts';

export type KubeletRequest = { id: number } & (
  | { op: 'kill'; namespace: string; pod: string; container?: string; signal: NodeJS.Signals }
  | { op: 'exec'; namespace: string; pod: string; container?: string; command: string[]; timeoutMs: number }
  | { op: 'hosts'; namespace: string; pod: string }
  | { op: 'stop'; graceMs: number }
);

export type KubeletMessage =
  | { type: 'ready'; nodeName: string; podCIDR: string }
  | { type: 'failed'; error: string }
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number; ok: false; error: string };

const send = (message: KubeletMessage) => {
  if (process.connected) process.send!(message);
};

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '') as ProcessKubeletOptions;
  let kubelet: ProcessKubelet;
  try {
    kubelet = await ProcessKubelet.start(options);
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    console.error(message);
    send({ type: 'failed', error: message });
    process.exitCode = 1;
    process.disconnect?.();
    return;
  }
  let exiting = false;
  const shutdown = async (graceMs: number) => {
    if (exiting) return;
    exiting = true;
    await kubelet.stop(graceMs);
    if (process.connected) process.disconnect();
    // Everything is closed by now; should a handle still be open, do not linger as an orphan.
    setTimeout(() => {
      console.error('process kubelet: a handle stayed open after stop; exiting anyway');
      process.exit(0);
    }, 5000).unref();
  };

  process.on('message', (raw) => {
    const request = raw as KubeletRequest;
    const reply = async () => {
      switch (request.op) {
        case 'kill':
          return kubelet.killContainer(request.namespace, request.pod, request.container, request.signal);
        case 'exec':
          return kubelet.exec(request.namespace, request.pod, request.container, request.command, request.timeoutMs);
        case 'hosts':
          return kubelet.hostsFileOf(request.namespace, request.pod);
        case 'stop':
          await shutdown(request.graceMs);
          return undefined;
      }
    };
    reply().then(
      (value) => send({ type: 'reply', id: request.id, ok: true, value }),
      (error: unknown) =>
        send({
          type: 'reply',
          id: request.id,
          ok: false,
          error: error instanceof Error ? error.message : String(error),
        }),
    );
  });
  process.on('disconnect', () => void shutdown(2000));
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void shutdown(5000));
  send({ type: 'ready', nodeName: kubelet.nodeName, podCIDR: kubelet.podCIDR });
}

await main();
