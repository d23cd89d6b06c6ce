// The container sandbox without a container runtime: a private mount namespace
// per container process (unshare as root), in which the image's tree, the
// pod's volumes and its hosts file are mounted where the container expects
// them; everything else (network, pids, users) is the host's.
import { existsSync } from 'node:fs';

export type Mount =
  /** `source` is relative to the pod directory (shadowing mounts cannot hide it) or absolute (hostPath). */
  | { kind: 'bind'; source: string; target: string; readOnly?: boolean; file?: boolean }
  /** An overlay: `lower` is absolute, `upper` and `work` relative to the pod directory. */
  | { kind: 'overlay'; lower: string; upper: string; work: string; target: string };

export interface SandboxTools {
  setpriv: string;
  unshare: string;
  sh: string;
  mount: string;
  mkdir: string;
  nsenter: string;
}

function locate(name: string): string {
  for (const dir of ['/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    const path = `${dir}/${name}`;
    if (existsSync(path)) return path;
  }
  throw new Error(`the process kubelet needs '${name}' (util-linux / coreutils) in /usr/bin or /bin`);
}

export function findSandboxTools(): SandboxTools {
  return {
    setpriv: locate('setpriv'),
    unshare: locate('unshare'),
    sh: locate('sh'),
    mount: locate('mount'),
    mkdir: locate('mkdir'),
    nsenter: locate('nsenter'),
  };
}

const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;
const depth = (path: string) => path.split('/').filter(Boolean).length;

/**
 * The shell script that mounts `mounts` (parents before children), enters
 * `workingDir` and execs the container's argv ("$@"). It runs in the pod
 * directory, so relative sources stay reachable after /tmp or any other
 * ancestor is mounted over. Missing mount points are created where the path
 * resolves: inside an earlier mount, or on the host as an empty directory.
 */
export function mountScript(podDir: string, mounts: Mount[], workingDir: string, tools: SandboxTools): string {
  const lines = ['set -e', `cd ${quote(podDir)}`];
  // The image's overlay first: its lower layer is an absolute host path, which a volume mounted
  // earlier (an emptyDir over /tmp, say) could hide. Then parents before children.
  const overlayFirst = (m: Mount) => (m.kind === 'overlay' ? 0 : 1);
  const ordered = mounts
    .map((m, i) => ({ m, i }))
    .sort((a, b) => overlayFirst(a.m) - overlayFirst(b.m) || depth(a.m.target) - depth(b.m.target) || a.i - b.i);
  for (const { m } of ordered) {
    const target = quote(m.target);
    if (m.kind === 'bind' && m.file) {
      lines.push(`[ -e ${target} ] || { ${tools.mkdir} -p "$(dirname ${target})"; : > ${target}; }`);
    } else {
      lines.push(`${tools.mkdir} -p ${target}`);
    }
    if (m.kind === 'overlay') {
      const options = `lowerdir=${m.lower},upperdir=${m.upper},workdir=${m.work}`;
      lines.push(`${tools.mount} -t overlay overlay -o ${quote(options)} ${target}`);
    } else {
      lines.push(`${tools.mount} --bind ${quote(m.source)} ${target}`);
      if (m.readOnly) lines.push(`${tools.mount} -o remount,bind,ro ${target}`);
    }
  }
  lines.push(`${tools.mkdir} -p ${quote(workingDir)}`, `cd ${quote(workingDir)}`, 'exec "$@"');
  return lines.join('\n');
}

/**
 * The command line of a container process: setpriv makes the kernel SIGKILL it
 * when the kubelet dies, unshare gives it its own mount namespace, sh mounts
 * and execs, so the process keeps one pid from start to exit.
 */
export function sandboxCommand(
  podDir: string,
  mounts: Mount[],
  workingDir: string,
  argv: string[],
  tools: SandboxTools,
): { command: string; args: string[] } {
  return {
    command: tools.setpriv,
    args: [
      '--pdeathsig',
      'KILL',
      tools.unshare,
      '--mount',
      '--propagation',
      'private',
      tools.sh,
      '-c',
      mountScript(podDir, mounts, workingDir, tools),
      'sh',
      ...argv,
    ],
  };
}
