// Shared set-up of the controller's `*.kube.test.ts` files: testenv's real
// API server with the CRDs applied, a namespace of the test's own, typed
// clients, and controllers with test-sized timings that are stopped after.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pino } from 'pino';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1ConfigMap,
  type V1Deployment,
  type V1Secret,
} from '@kubernetes/client-node';
import { endpoints, ensureServices } from '../../../scripts/testenv/index.ts';
import type { StreamDeploymentSpecInput } from '../../resource/stream-deployment-spec.ts';
import type { StreamDeploymentStatus } from '../../resource/stream-deployment-status.ts';
import { childNames } from '../../children/names.ts';
import { Controller, type ControllerOptions } from '../controller.ts';
import { streamDeployments, streamSnapshots } from '../kube-resources.ts';
import type { StreamSnapshotStatus } from '../../resource/stream-snapshot.ts';
import { eventually } from '../../../runtime/testing/wait-until.ts';

const crdsDir = join(import.meta.dirname, '..', '..', '..', 'crds');
const crd = { group: streamDeployments.group, version: streamDeployments.version, plural: streamDeployments.plural };
const snapshotCrd = { group: streamSnapshots.group, version: streamSnapshots.version, plural: streamSnapshots.plural };

export function kubectl(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(endpoints.kubernetes.kubectl, args, {
    input,
    encoding: 'utf8',
    env: { ...process.env, KUBECONFIG: endpoints.kubernetes.kubeconfig },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Starts the API server if needed and applies the CRDs (idempotent: server-side apply). */
export async function kubernetesWithCrds(): Promise<KubeConfig> {
  await ensureServices('kubernetes');
  const env = { ...process.env, KUBECONFIG: endpoints.kubernetes.kubeconfig };
  execFileSync(endpoints.kubernetes.kubectl, ['apply', '--server-side', '--force-conflicts', '-f', crdsDir], { env });
  execFileSync(
    endpoints.kubernetes.kubectl,
    [
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/streamdeployments.brook.dev',
      'crd/streamsnapshots.brook.dev',
    ],
    { env },
  );
  const kc = new KubeConfig();
  kc.loadFromFile(endpoints.kubernetes.kubeconfig);
  // A CRD just created is Established a moment before its storage answers (429 "storage is (re)initializing").
  const custom = kc.makeApiClient(CustomObjectsApi);
  await eventually(
    () => custom.listClusterCustomObject({ ...crd, limit: 1 }),
    () => true,
    'StreamDeployments are served',
  );
  await eventually(
    () => custom.listClusterCustomObject({ ...snapshotCrd, limit: 1 }),
    () => true,
    'StreamSnapshots are served',
  );
  return kc;
}

export interface StreamDeploymentObject {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    generation: number;
    resourceVersion: string;
    finalizers?: string[];
    annotations?: Record<string, string>;
  };
  spec: Record<string, unknown>;
  status?: StreamDeploymentStatus;
}

export interface StreamSnapshotObject {
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    labels?: Record<string, string>;
    finalizers?: string[];
    ownerReferences?: { kind: string; name: string; uid: string }[];
  };
  spec: Record<string, unknown>;
  status?: StreamSnapshotStatus;
}

/** A namespace of the test's own, and what the tests do in it. */
export class TestNamespace {
  readonly custom: CustomObjectsApi;
  readonly apps: AppsV1Api;
  readonly core: CoreV1Api;
  private readonly controllers: Controller[] = [];

  private constructor(
    readonly kc: KubeConfig,
    readonly name: string,
  ) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
  }

  static async create(kc: KubeConfig, prefix: string): Promise<TestNamespace> {
    const ns = new TestNamespace(kc, `${prefix}-${randomBytes(4).toString('hex')}`);
    await ns.core.createNamespace({ body: { metadata: { name: ns.name } } });
    return ns;
  }

  /** Stops the controllers it started and deletes the namespace (without waiting for it to go). */
  async dispose(): Promise<void> {
    await Promise.all(this.controllers.map((c) => c.stop()));
    // Finalizers of resources a stopped controller left behind would keep the namespace terminating.
    for (const sd of await this.listStreamDeployments()) {
      if (sd.metadata.finalizers?.length) await this.patch(sd.metadata.name, { metadata: { finalizers: null } });
    }
    for (const snap of await this.listStreamSnapshots().catch(() => [])) {
      if (snap.metadata.finalizers?.length)
        await this.custom.patchNamespacedCustomObject(
          { ...snapshotCrd, namespace: this.name, name: snap.metadata.name, body: { metadata: { finalizers: null } } },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
    }
    await this.core.deleteNamespace({ name: this.name }).catch(() => {});
  }

  /** A controller with test timings, stopped by dispose(). */
  controller(overrides: Partial<ControllerOptions> = {}): Controller {
    const controller = new Controller({
      kubeConfig: this.kc,
      log: pino({ level: process.env.BROOK_TEST_LOG_LEVEL ?? 'silent' }, pino.destination(2)),
      namespaces: [this.name],
      processMetrics: false,
      resyncPeriodMs: 60_000,
      backoff: { baseMs: 100, maxMs: 2_000 },
      restTimeoutMs: 1_000,
      shutdownGraceMs: 5_000,
      leaderElection: false,
      ...overrides,
    });
    this.controllers.push(controller);
    return controller;
  }

  async createStreamDeployment(
    name: string,
    spec: Partial<StreamDeploymentSpecInput>,
    annotations: Record<string, string> = {},
  ): Promise<StreamDeploymentObject> {
    return (await this.custom.createNamespacedCustomObject({
      ...crd,
      namespace: this.name,
      body: {
        apiVersion: 'brook.dev/v1beta1',
        kind: 'StreamDeployment',
        metadata: { name, namespace: this.name, annotations },
        spec: { image: 'brook:test', ...spec },
      },
    })) as StreamDeploymentObject;
  }

  async get(name: string): Promise<StreamDeploymentObject | undefined> {
    return orUndefinedIfAbsent(
      async () =>
        (await this.custom.getNamespacedCustomObject({ ...crd, namespace: this.name, name })) as StreamDeploymentObject,
    );
  }

  async listStreamDeployments(): Promise<StreamDeploymentObject[]> {
    const list = (await this.custom.listNamespacedCustomObject({ ...crd, namespace: this.name })) as {
      items: StreamDeploymentObject[];
    };
    return list.items;
  }

  async createStreamSnapshot(name: string, spec: Record<string, unknown>): Promise<StreamSnapshotObject> {
    return (await this.custom.createNamespacedCustomObject({
      ...snapshotCrd,
      namespace: this.name,
      body: { apiVersion: 'brook.dev/v1beta1', kind: 'StreamSnapshot', metadata: { name }, spec },
    })) as StreamSnapshotObject;
  }

  async getStreamSnapshot(name: string): Promise<StreamSnapshotObject | undefined> {
    return orUndefinedIfAbsent(
      async () =>
        (await this.custom.getNamespacedCustomObject({
          ...snapshotCrd,
          namespace: this.name,
          name,
        })) as StreamSnapshotObject,
    );
  }

  /** StreamSnapshots, optionally those with a label selector. */
  async listStreamSnapshots(labelSelector?: string): Promise<StreamSnapshotObject[]> {
    const list = (await this.custom.listNamespacedCustomObject({
      ...snapshotCrd,
      namespace: this.name,
      ...(labelSelector !== undefined ? { labelSelector } : {}),
    })) as { items: StreamSnapshotObject[] };
    return list.items;
  }

  async deleteStreamSnapshot(name: string): Promise<void> {
    await this.custom.deleteNamespacedCustomObject({ ...snapshotCrd, namespace: this.name, name });
  }

  /** A JSON merge patch of the StreamDeployment (spec, metadata). */
  async patch(name: string, body: object): Promise<StreamDeploymentObject> {
    return (await this.custom.patchNamespacedCustomObject(
      { ...crd, namespace: this.name, name, body },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as StreamDeploymentObject;
  }

  async delete(name: string): Promise<void> {
    await this.custom.deleteNamespacedCustomObject({ ...crd, namespace: this.name, name });
  }

  /** Waits until the StreamDeployment satisfies `accept`. */
  waitFor(
    name: string,
    accept: (sd: StreamDeploymentObject) => boolean,
    what: string,
    timeoutMs = 30_000,
  ): Promise<StreamDeploymentObject> {
    return eventually(
      () => this.get(name),
      (sd) => sd !== undefined && accept(sd),
      `${name} ${what}`,
      timeoutMs,
    ) as Promise<StreamDeploymentObject>;
  }

  async deployment(name: string): Promise<V1Deployment | undefined> {
    return orUndefinedIfAbsent(() => this.apps.readNamespacedDeployment({ namespace: this.name, name }));
  }

  async configMap(name: string): Promise<V1ConfigMap | undefined> {
    return orUndefinedIfAbsent(() => this.core.readNamespacedConfigMap({ namespace: this.name, name }));
  }

  async secret(name: string): Promise<V1Secret | undefined> {
    return orUndefinedIfAbsent(() => this.core.readNamespacedSecret({ namespace: this.name, name }));
  }

  /** The JobManager Deployment of `name` once it exists (and, when given, runs job `jobId`). */
  jobManagerDeployment(name: string, jobId?: string, timeoutMs = 30_000): Promise<V1Deployment> {
    return eventually(
      () => this.deployment(childNames(name).jobManager),
      (d) =>
        d !== undefined &&
        d.metadata?.deletionTimestamp === undefined &&
        (jobId === undefined || d.metadata?.annotations?.['brook.dev/job-id'] === jobId),
      `the JobManager Deployment of ${name}${jobId ? ` runs job ${jobId}` : ''}`,
      timeoutMs,
    ) as Promise<V1Deployment>;
  }

  /** Reasons of the Events recorded on `name` (Events carry whole seconds, so the order within one is not kept). */
  async eventReasons(name: string): Promise<string[]> {
    const events = await this.core.listNamespacedEvent({
      namespace: this.name,
      fieldSelector: `involvedObject.name=${name},involvedObject.kind=StreamDeployment`,
    });
    return events.items
      .sort((a, b) => new Date(a.firstTimestamp ?? 0).getTime() - new Date(b.firstTimestamp ?? 0).getTime())
      .map((e) => e.reason ?? '');
  }
}

/** The object `read` returns, or undefined when the API server answers 404 (it does not exist). */
async function orUndefinedIfAbsent<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined;
    throw error;
  }
}
