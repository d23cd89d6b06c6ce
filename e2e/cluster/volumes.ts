// A pod's volumes as directories under the pod's directory: emptyDir,
// configMap, secret, downwardAPI, projected (service-account token through
// TokenRequest, bound to the pod, plus the CA and namespace the API server's
// admission adds) and hostPath. Written once when the pod starts.
import { chmodSync, closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import type {
  V1ConfigMapProjection,
  V1DownwardAPIVolumeFile,
  V1KeyToPath,
  V1SecretProjection,
  V1ServiceAccountTokenProjection,
  V1Volume,
} from '@kubernetes/client-node';
import { isNotFound, type KubeClient } from './api.ts';
import { podField, resourceField, type PodRuntimeFacts } from './environment.ts';
import type { ConfigMap, Pod, Secret } from './objects.ts';

/** A volume that cannot be set up yet (a missing ConfigMap): the kubelet's FailedMount, retried. */
export class VolumeNotReadyError extends Error {
  readonly code = 'BROOK_KUBELET_VOLUME_NOT_READY';
}

/** A volume this kubelet cannot provide at all: the pod fails. */
export class UnsupportedVolumeError extends Error {
  readonly code = 'BROOK_KUBELET_VOLUME_UNSUPPORTED';
}

export interface PreparedVolume {
  /** Relative to the pod directory, or absolute for hostPath. */
  source: string;
  /** configMap, secret, downwardAPI and projected volumes are read-only in a real kubelet too. */
  readOnly: boolean;
}

interface VolumeContext {
  client: KubeClient;
  pod: Pod;
  podDir: string;
  facts: PodRuntimeFacts;
}

type Files = Map<string, { content: Buffer; mode?: number }>;

function safePath(path: string): string {
  const normal = normalize(path);
  if (isAbsolute(normal) || normal.startsWith('..')) throw new UnsupportedVolumeError(`volume path '${path}' escapes`);
  return normal;
}

async function readObject<T>(ctx: VolumeContext, kind: 'configmaps' | 'secrets', name: string): Promise<T | undefined> {
  try {
    return await ctx.client.request<T>('GET', `/api/v1/namespaces/${ctx.pod.metadata.namespace}/${kind}/${name}`);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** The keys of a ConfigMap or Secret as files, all of them or the listed items. */
function keyFiles(
  what: string,
  values: Map<string, Buffer>,
  items: V1KeyToPath[] | undefined,
  optional: boolean | undefined,
  files: Files,
): void {
  if (!items?.length) {
    for (const [key, content] of values) files.set(key, { content });
    return;
  }
  for (const item of items) {
    const content = values.get(item.key);
    if (content === undefined) {
      if (optional) continue;
      throw new VolumeNotReadyError(`couldn't find key ${item.key} in ${what}`);
    }
    files.set(safePath(item.path), { content, ...(item.mode !== undefined ? { mode: item.mode } : {}) });
  }
}

async function configMapFiles(ctx: VolumeContext, source: V1ConfigMapProjection, files: Files): Promise<void> {
  const object = await readObject<ConfigMap>(ctx, 'configmaps', source.name!);
  const what = `configmap "${source.name}"`;
  if (!object) {
    if (source.optional) return;
    throw new VolumeNotReadyError(`${what} not found`);
  }
  const values = new Map<string, Buffer>();
  for (const [key, value] of Object.entries(object.data ?? {})) values.set(key, Buffer.from(value, 'utf8'));
  for (const [key, value] of Object.entries(object.binaryData ?? {})) values.set(key, Buffer.from(value, 'base64'));
  keyFiles(what, values, source.items, source.optional, files);
}

async function secretFiles(ctx: VolumeContext, source: V1SecretProjection, files: Files): Promise<void> {
  const object = await readObject<Secret>(ctx, 'secrets', source.name!);
  const what = `secret "${source.name}"`;
  if (!object) {
    if (source.optional) return;
    throw new VolumeNotReadyError(`${what} not found`);
  }
  const values = new Map<string, Buffer>();
  for (const [key, value] of Object.entries(object.data ?? {})) values.set(key, Buffer.from(value, 'base64'));
  keyFiles(what, values, source.items, source.optional, files);
}

function downwardFiles(ctx: VolumeContext, items: V1DownwardAPIVolumeFile[] | undefined, files: Files): void {
  for (const item of items ?? []) {
    const value = item.fieldRef
      ? podField(ctx.pod, ctx.facts, item.fieldRef)
      : item.resourceFieldRef
        ? resourceField(ctx.pod, ctx.facts, item.resourceFieldRef, undefined)
        : '';
    files.set(safePath(item.path), {
      content: Buffer.from(value, 'utf8'),
      ...(item.mode !== undefined ? { mode: item.mode } : {}),
    });
  }
}

/** A token for the pod's service account, bound to the pod (invalid once the pod is gone), as the kubelet requests it. */
async function tokenFile(ctx: VolumeContext, source: V1ServiceAccountTokenProjection, files: Files): Promise<void> {
  const { pod } = ctx;
  const account = pod.spec.serviceAccountName || 'default';
  const answer = await ctx.client.request<{ status: { token: string } }>(
    'POST',
    `/api/v1/namespaces/${pod.metadata.namespace}/serviceaccounts/${account}/token`,
    {
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          audiences: source.audience ? [source.audience] : [],
          expirationSeconds: source.expirationSeconds ?? 3600,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid },
        },
      },
    },
  );
  files.set(safePath(source.path), { content: Buffer.from(answer.status.token, 'utf8') });
}

function writeFiles(dir: string, files: Files, defaultMode: number | undefined): void {
  mkdirSync(dir, { recursive: true });
  for (const [path, file] of files) {
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.content);
    chmodSync(target, file.mode ?? defaultMode ?? 0o644);
  }
}

async function prepareVolume(ctx: VolumeContext, volume: V1Volume): Promise<PreparedVolume> {
  const relative = join('volumes', volume.name);
  const dir = join(ctx.podDir, relative);
  const files: Files = new Map();
  if (volume.emptyDir) {
    mkdirSync(dir, { recursive: true });
    return { source: relative, readOnly: false };
  }
  if (volume.hostPath) {
    const { path, type } = volume.hostPath;
    if (type === 'DirectoryOrCreate') mkdirSync(path, { recursive: true });
    if (type === 'FileOrCreate') closeSync(openSync(path, 'a'));
    return { source: path, readOnly: false };
  }
  if (volume.configMap) {
    await configMapFiles(ctx, volume.configMap, files);
    writeFiles(dir, files, volume.configMap.defaultMode);
  } else if (volume.secret) {
    await secretFiles(ctx, { ...volume.secret, name: volume.secret.secretName! }, files);
    writeFiles(dir, files, volume.secret.defaultMode);
  } else if (volume.downwardAPI) {
    downwardFiles(ctx, volume.downwardAPI.items, files);
    writeFiles(dir, files, volume.downwardAPI.defaultMode);
  } else if (volume.projected) {
    for (const source of volume.projected.sources ?? []) {
      if (source.serviceAccountToken) await tokenFile(ctx, source.serviceAccountToken, files);
      else if (source.configMap) await configMapFiles(ctx, source.configMap, files);
      else if (source.secret) await secretFiles(ctx, source.secret, files);
      else if (source.downwardAPI) downwardFiles(ctx, source.downwardAPI.items, files);
      else throw new UnsupportedVolumeError(`volume ${volume.name}: unsupported projected source`);
    }
    writeFiles(dir, files, volume.projected.defaultMode);
  } else {
    const kind = Object.keys(volume).find((key) => key !== 'name') ?? 'unknown';
    throw new UnsupportedVolumeError(`volume ${volume.name}: ${kind} volumes are not supported by the process kubelet`);
  }
  return { source: relative, readOnly: true };
}

/** Writes every volume of the pod; throws VolumeNotReadyError (retry later) or UnsupportedVolumeError. */
export async function prepareVolumes(ctx: VolumeContext): Promise<Map<string, PreparedVolume>> {
  const prepared = new Map<string, PreparedVolume>();
  for (const volume of ctx.pod.spec.volumes ?? []) prepared.set(volume.name, await prepareVolume(ctx, volume));
  return prepared;
}
