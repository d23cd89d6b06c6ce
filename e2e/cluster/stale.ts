// Leftovers of process kubelets that died without stopping (SIGKILL): their
// Nodes (NotReady for ever, holding their pods in Terminating) and their pod
// directories. Recognised by the pid they recorded, on this machine only.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isNotFound, type KubeClient } from './api.ts';

export const PID_ANNOTATION = 'brook.dev/process-kubelet-pid';
export const HOST_ANNOTATION = 'brook.dev/process-kubelet-host';
export const KUBELET_LABEL = 'brook.dev/process-kubelet';
export const PID_FILE = 'kubelet.pid';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Deletes the Nodes of dead kubelets of this machine (their Leases go with them, by owner reference). */
export async function removeStaleNodes(client: KubeClient): Promise<string[]> {
  const nodes = await client.request<{ items: { metadata: { name: string; annotations?: Record<string, string> } }[] }>(
    'GET',
    '/api/v1/nodes',
    { query: { labelSelector: `${KUBELET_LABEL}=true` } },
  );
  const removed: string[] = [];
  for (const node of nodes.items) {
    const annotations = node.metadata.annotations ?? {};
    const pid = Number(annotations[PID_ANNOTATION]);
    if (annotations[HOST_ANNOTATION] !== hostname() || !Number.isInteger(pid) || alive(pid)) continue;
    try {
      await client.request('DELETE', `/api/v1/nodes/${node.metadata.name}`);
      removed.push(node.metadata.name);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
  return removed;
}

/** Removes the pod directories of dead kubelets under `root`. */
export function removeStaleDirectories(root: string): string[] {
  if (!existsSync(root)) return [];
  const removed: string[] = [];
  for (const entry of readdirSync(root)) {
    const pidFile = join(root, entry, PID_FILE);
    if (!existsSync(pidFile)) continue;
    const pid = Number(readFileSync(pidFile, 'utf8'));
    if (Number.isInteger(pid) && !alive(pid)) {
      rmSync(join(root, entry), { recursive: true, force: true });
      removed.push(entry);
    }
  }
  return removed;
}
