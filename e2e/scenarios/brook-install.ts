// The set-up the end-to-end scenarios share: a namespace with a process kubelet
// (e2e/cluster), the chart helm-installed into it so the operator runs as a pod
// under the chart's ServiceAccount and RBAC, and helpers to apply manifests and
// wait for a StreamDeployment's status.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { ApiException, CustomObjectsApi } from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';
import { endpoints, helm, kubectl, succeeded } from '../../scripts/testenv/index.ts';
import { eventually, isReady, useKubeletCluster, type KubeletTestCluster } from '../cluster/testing.ts';
import type { StreamDeploymentStatus } from '../../operator/resource/stream-deployment-status.ts';

export const repositoryRoot = join(import.meta.dirname, '..', '..');
export const chartPath = join(repositoryRoot, 'helm', 'brook');
/** The ServiceAccount of the operator pod (the chart's default: the release's full name). */
export const operatorServiceAccount = 'brook';
/** The Secret the operator reads its S3 credentials from (chart value s3.credentialsSecret). */
export const operatorS3Secret = 'brook-operator-s3';

export interface BrookInstall extends KubeletTestCluster {
  /** The operator pod, once Ready. */
  operatorPod: string;
  /** A StreamDeployment as stored now, or undefined when there is none. */
  streamDeployment(name: string): Promise<StreamDeploymentObject | undefined>;
  /** Waits until the StreamDeployment satisfies `accept`; its last status is in the error otherwise. */
  waitForStreamDeployment(
    name: string,
    accept: (sd: StreamDeploymentObject) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<StreamDeploymentObject>;
  /** The operator's and the JobManager's logs, for a failure message. */
  diagnostics(): string;
}

export interface StreamDeploymentObject {
  metadata: { name: string; uid: string; finalizers?: string[]; deletionTimestamp?: string; generation?: number };
  spec: Record<string, unknown>;
  status?: StreamDeploymentStatus;
}

/**
 * A namespace `<prefix>-<random>` with a process kubelet and the chart
 * installed (watching that namespace only); torn down after the file.
 */
export function useBrookInstall(prefix: string): BrookInstall {
  const cluster = useKubeletCluster(prefix) as BrookInstall;

  before(async () => {
    await cluster.ready;
    const { namespace } = cluster;
    // The operator reads checkpoints and deletes savepoints in testenv's S3 with these.
    createS3Secret(namespace, operatorS3Secret);
    succeeded(
      'helm install',
      helm([
        'install',
        // The CRDs may be on the server already, applied by kubectl from another test file (or an older
        // crds/ on a server kept up between runs): the chart's must win, as in an upgrade.
        '--force-conflicts',
        'brook',
        chartPath,
        '--namespace',
        namespace,
        '--set',
        `watchNamespaces={${namespace}}`,
        '--set',
        `s3.endpoint=${endpoints.s3.endpoint}`,
        '--set',
        `s3.region=${endpoints.s3.region}`,
        '--set',
        `s3.credentialsSecret=${operatorS3Secret}`,
        '--set',
        'logLevel=debug',
      ]),
    );
    const operatorPods = () =>
      cluster.core.listNamespacedPod({ namespace, labelSelector: 'app.kubernetes.io/name=brook-operator' });
    try {
      const ready = await eventually(
        async () => (await operatorPods()).items.filter(isReady).map((p) => p.metadata!.name!),
        (names) => names.length === 1,
        'the operator pod is ready',
        90_000,
      );
      cluster.operatorPod = ready[0]!;
    } catch (error) {
      const pod = (await operatorPods()).items[0]?.metadata?.name;
      const log = pod ? cluster.kubelet.containerLog(namespace, pod, 'operator') : '(no operator pod)';
      throw new Error(`${(error as Error).message}\n--- operator log\n${log.split('\n').slice(-30).join('\n')}`, {
        cause: error,
      });
    }

    const custom = cluster.kc.makeApiClient(CustomObjectsApi);
    const read = async (name: string) => {
      try {
        return (await custom.getNamespacedCustomObject({
          group: 'brook.dev',
          version: 'v1beta1',
          namespace,
          plural: 'streamdeployments',
          name,
        })) as StreamDeploymentObject;
      } catch (error) {
        if (error instanceof ApiException && error.code === 404) return undefined;
        throw error;
      }
    };
    cluster.streamDeployment = read;
    cluster.waitForStreamDeployment = async (name, accept, what, timeoutMs = 120_000) => {
      try {
        return (await eventually(
          () => read(name),
          (sd) => sd !== undefined && accept(sd),
          what,
          timeoutMs,
        ))!;
      } catch (error) {
        const last = await read(name).catch(() => undefined);
        throw new Error(
          `${(error as Error).message}\nstatus: ${JSON.stringify(last?.status, null, 1)}\n${cluster.diagnostics()}`,
          { cause: error },
        );
      }
    };
    cluster.diagnostics = () => {
      const tail = (text: string) => text.split('\n').slice(-40).join('\n');
      const logs = [
        `--- operator ${cluster.operatorPod}\n${tail(cluster.kubelet.containerLog(namespace, cluster.operatorPod, 'operator'))}`,
      ];
      return logs.join('\n');
    };
  });

  after(() => {
    // What still has the operator's finalizer would hold the namespace forever once the kubelet (and with it
    // the operator) is gone. Deleted first, so that a running operator does not put the finalizer back.
    const namespaceFlag = ['--namespace', cluster.namespace];
    kubectl(['delete', 'streamdeployments', '--all', '--wait=false', ...namespaceFlag]);
    const listed = kubectl(['get', 'streamdeployments', '-o', 'name', ...namespaceFlag]);
    for (const name of listed.stdout.split('\n').filter(Boolean)) {
      kubectl(['patch', name, '--type=merge', '-p', '{"metadata":{"finalizers":null}}', ...namespaceFlag]);
    }
  });

  return cluster;
}

/** Creates a Secret with testenv's S3 credentials as the AWS_* variables pods take with envFrom. */
export function createS3Secret(namespace: string, name: string): void {
  succeeded(
    'kubectl create secret',
    kubectl([
      'create',
      'secret',
      'generic',
      name,
      '--namespace',
      namespace,
      `--from-literal=AWS_ACCESS_KEY_ID=${endpoints.s3.credentials.accessKeyId}`,
      `--from-literal=AWS_SECRET_ACCESS_KEY=${endpoints.s3.credentials.secretAccessKey}`,
    ]),
  );
}

/** A unique suffix for names that live outside the namespace (Kafka topics, Redis keys, buckets). */
export const uniqueSuffix = () => randomBytes(4).toString('hex');

export interface ManifestEdits {
  /** spec.config values to replace; each key must already be in the example (so the example keeps showing it). */
  config?: Record<string, string>;
  /** spec.config keys the test adds (settings for speed that a real deployment would not use). */
  extraConfig?: Record<string, string>;
  /** stringData of the example's Secrets, by Secret name; each key must already be there. */
  secrets?: Record<string, Record<string, string>>;
}

interface ManifestDocument {
  kind: string;
  metadata: { name: string };
  spec: { config: Record<string, string> };
  stringData: Record<string, string>;
}

/**
 * An example's manifest file with the test's addresses and credentials in
 * place of the example's, as YAML for `kubectl apply -f -`.
 */
export function localisedManifest(file: string, edits: ManifestEdits): string {
  const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as ManifestDocument);
  const replace = (target: Record<string, string>, values: Record<string, string>, where: string) => {
    for (const [key, value] of Object.entries(values)) {
      if (!(key in target)) throw new Error(`${file}: ${where} has no '${key}' to replace`);
      target[key] = value;
    }
  };
  for (const doc of docs) {
    if (doc.kind === 'StreamDeployment') {
      replace(doc.spec.config, edits.config ?? {}, 'spec.config');
      Object.assign(doc.spec.config, edits.extraConfig ?? {});
    }
    if (doc.kind === 'Secret') {
      const values = edits.secrets?.[doc.metadata.name];
      if (values) replace(doc.stringData, values, `Secret ${doc.metadata.name}`);
    }
  }
  return docs.map((d) => stringify(d)).join('---\n');
}
