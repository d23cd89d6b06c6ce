// One StreamDeployment of a Brook install as a scenario acts on it and reads
// it: kubectl apply and merge patch, its Events, pods and children, and the
// savepoints it left in S3 and as StreamSnapshots.
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { endpoints, kubectl, succeeded } from '../../scripts/testenv/index.ts';
import { eventually } from '../cluster/testing.ts';
import { createS3Secret, type BrookInstall } from './brook-install.ts';

/** The Secret with testenv's S3 credentials that the JobManager and TaskManager pods read. */
export const jobS3Secret = 'job-s3';

/** Creates the jobs' S3 Secret (once per namespace) and applies the resource. */
export function applyStreamDeployment(install: BrookInstall, resource: object): void {
  const { namespace } = install;
  if (kubectl(['get', 'secret', jobS3Secret, '--namespace', namespace]).status !== 0) {
    createS3Secret(namespace, jobS3Secret);
  }
  succeeded('kubectl apply', kubectl(['apply', '--namespace', namespace, '-f', '-'], JSON.stringify(resource)));
}

/** A merge patch of the resource's spec, as `kubectl patch --type merge` sends it. */
export function patchSpec(install: BrookInstall, name: string, spec: Record<string, unknown>): void {
  succeeded(
    'kubectl patch',
    kubectl([
      'patch',
      'streamdeployment',
      name,
      '--namespace',
      install.namespace,
      '--type=merge',
      '-p',
      JSON.stringify({ spec }),
    ]),
  );
}

/** The resource's Events as `reason: message`, oldest first. */
export async function eventsOf(install: BrookInstall, name: string): Promise<string[]> {
  const events = await install.core.listNamespacedEvent({
    namespace: install.namespace,
    fieldSelector: `involvedObject.kind=StreamDeployment,involvedObject.name=${name}`,
  });
  const time = (e: (typeof events.items)[number]) =>
    new Date(e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? 0).getTime();
  return events.items.sort((a, b) => time(a) - time(b)).map((e) => `${e.reason}: ${e.message}`);
}

/** The pods of one component (jobmanager, taskmanager) of a resource. */
export async function podsOf(install: BrookInstall, name: string, component: 'jobmanager' | 'taskmanager') {
  const pods = await install.core.listNamespacedPod({
    namespace: install.namespace,
    labelSelector: `app.kubernetes.io/instance=${name},app.kubernetes.io/component=${component}`,
  });
  return pods.items;
}

/** Waits until no Deployment, Service, ConfigMap or pod of the resource is left. */
export async function waitForChildrenGone(install: BrookInstall, name: string): Promise<void> {
  const { namespace, apps, core } = install;
  const labelSelector = `app.kubernetes.io/instance=${name}`;
  await eventually(
    async () => {
      const [deployments, services, configMaps, pods] = await Promise.all([
        apps.listNamespacedDeployment({ namespace, labelSelector }),
        core.listNamespacedService({ namespace, labelSelector }),
        core.listNamespacedConfigMap({ namespace, labelSelector }),
        core.listNamespacedPod({ namespace, labelSelector }),
      ]);
      const named = (kind: string, items: { metadata?: { name?: string } }[]) =>
        items.map((o) => `${kind} ${o.metadata?.name}`);
      return [
        ...named('Deployment', deployments.items),
        ...named('Service', services.items),
        ...named('ConfigMap', configMaps.items),
        ...named('Pod', pods.items),
      ];
    },
    (left) => left.length === 0,
    'no Deployment, Service, ConfigMap or pod of the resource is left',
    90_000,
  );
}

/** The S3 prefix of a deployment's savepoints. */
export const savepointsPrefix = (name: string) => `${name}/savepoints/`;

/** Paths (relative to the bucket) of the savepoints in `prefix`: the directories holding a `_metadata`. */
export async function savepointsInStorage(bucket: string, prefix: string): Promise<string[]> {
  const client = new S3Client(endpoints.s3);
  try {
    const found: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) {
        if (o.Key?.endsWith('/_metadata')) found.push(o.Key.slice(0, -'/_metadata'.length));
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return found.sort();
  } finally {
    client.destroy();
  }
}

export interface StreamSnapshotObject {
  metadata: { name: string };
  spec: { deploymentName: string; triggerType: string; path?: string };
  status?: { state?: string; path?: string; jobId?: string };
}

/** The StreamSnapshots of the install's namespace. */
export async function streamSnapshots(install: BrookInstall): Promise<StreamSnapshotObject[]> {
  const listed = (await install.kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
    group: 'brook.dev',
    version: 'v1beta1',
    namespace: install.namespace,
    plural: 'streamsnapshots',
  })) as { items: StreamSnapshotObject[] };
  return listed.items;
}
