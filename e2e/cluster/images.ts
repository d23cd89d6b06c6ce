// Images without a container runtime: an image name maps to a directory of
// this machine shown where the image has it (the Brook image's /opt/brook is
// this repository), plus the image's ENTRYPOINT, CMD, WORKDIR and ENV.
import { dirname, join } from 'node:path';

export interface ImageSpec {
  /** A host directory shown at `mountPath` as the lower layer of an overlay, so a pod's writes stay in the pod. */
  root?: { hostPath: string; mountPath: string };
  entrypoint: string[];
  cmd: string[];
  workingDir?: string;
  env: Record<string, string>;
}

/** Image specs by repository name: the last path segment without tag or digest ('brook' for ghcr.io/x/brook:1.0). */
export type ImageTable = Record<string, ImageSpec>;

export const repositoryRoot = join(import.meta.dirname, '..', '..');

const hostPath = `${dirname(process.execPath)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;

/** The images the process kubelet knows without being told: the Brook image (see the Dockerfile) and node. */
export const defaultImages: ImageTable = {
  brook: {
    root: { hostPath: repositoryRoot, mountPath: '/opt/brook' },
    entrypoint: ['node', '/opt/brook/bin/brook.js'],
    cmd: ['--help'],
    workingDir: '/opt/brook',
    env: { PATH: hostPath, NODE_ENV: 'production' },
  },
  node: { entrypoint: [], cmd: ['node'], env: { PATH: hostPath } },
};

/** The spec an image runs with: a known repository's, or the host's filesystem with no entrypoint. */
export function resolveImage(image: string, table: ImageTable): ImageSpec {
  const withoutDigest = image.split('@')[0]!;
  const lastSegment = withoutDigest.split('/').pop()!;
  const repository = lastSegment.split(':')[0]!;
  return table[repository] ?? { entrypoint: [], cmd: [], env: { PATH: hostPath } };
}

/** Docker's rule: `command` replaces ENTRYPOINT (and drops CMD), `args` replaces CMD. */
export function containerArgv(spec: ImageSpec, command: string[] | undefined, args: string[] | undefined): string[] {
  if (command?.length) return [...command, ...(args ?? [])];
  return [...spec.entrypoint, ...(args?.length ? args : spec.cmd)];
}
