// The controller's one adapter to the Kubernetes API, on @kubernetes/client-node:
// list and watch any kind, read and write StreamDeployments (status with the
// resourceVersion read, finalizers), server-side apply of children, deletes,
// Events and Leases. Everything else in the controller talks to this.
import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  ServerConfiguration,
  Watch,
  createConfiguration,
  setHeaderOptions,
  type Middleware as PromiseMiddleware,
  type RequestContext,
  type ResponseContext,
  type CoreV1Event,
  type V1Lease,
  type V1Pod,
  type V1Secret,
} from '@kubernetes/client-node';
import {
  apiVersionOf,
  collectionPath,
  streamDeployments,
  streamSnapshots,
  type KubeObject,
  type ResourceKind,
} from './kube-resources.ts';
import { BrookError } from '../../runtime/errors.ts';

export const FIELD_MANAGER = 'brook-operator';

/** How long one API call may take before it is abandoned (a hung connection must not stall a worker for good). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export class KubeConfigError extends BrookError {
  constructor(message: string) {
    super('BROOK_OPERATOR_KUBECONFIG', message);
  }
}

/** A Kubernetes API call abandoned after the request timeout, named (the HTTP client says only "aborted"). */
export class KubeRequestTimeoutError extends BrookError {
  constructor(call: string, timeoutMs: number, cause: unknown) {
    super('BROOK_OPERATOR_KUBE_TIMEOUT', `Kubernetes API call ${call} got no answer within ${timeoutMs} ms`, { cause });
  }
}

/**
 * The client with its calls' timeouts named: a call the request timeout aborted
 * rejects with KubeRequestTimeoutError naming the client and method. Other
 * errors pass unchanged.
 */
function namingTimeouts<T extends object>(client: T, name: string, timeoutMs: number): T {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (...args: unknown[]) => {
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!(result instanceof Promise)) return result;
        return result.catch((error: unknown) => {
          if ((error as { name?: string } | undefined)?.name === 'AbortError')
            throw new KubeRequestTimeoutError(`${name}.${property}`, timeoutMs, error);
          throw error;
        });
      };
    },
  });
}

/** The generic object API on a configuration of our own (the library's factory takes none). */
class ObjectApi extends KubernetesObjectApi {
  constructor(configuration: ConstructorParameters<typeof KubernetesObjectApi>[0], config: KubeConfig) {
    super(configuration);
    this.setDefaultNamespace(config);
  }
}

/** Aborts a request that has not been answered within `ms`. */
function requestTimeout(ms: number): PromiseMiddleware {
  return {
    pre: async (request: RequestContext) => {
      request.setSignal(AbortSignal.timeout(ms));
      return request;
    },
    post: async (response: ResponseContext) => response,
  };
}

/** The HTTP status of a failed Kubernetes call, when there was one. */
export function statusCodeOf(error: unknown): number | undefined {
  const e = error as { code?: unknown; statusCode?: unknown } | undefined;
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return undefined;
}

export const isNotFound = (error: unknown) => statusCodeOf(error) === 404;
export const isConflict = (error: unknown) => statusCodeOf(error) === 409;

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
}

/** One watch event as the API server sends it. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject & { code?: number; reason?: string; message?: string };
}

export interface WatchParams {
  resourceVersion: string;
  labelSelector?: string;
  /** The API server ends the watch after this many seconds; the informer then watches again. */
  timeoutSeconds: number;
}

/** A running watch: `abort()` ends it (the done callback is then called with null). */
export interface WatchHandle {
  abort(): void;
}

/** Loads credentials: a kubeconfig file when given, else $KUBECONFIG, ~/.kube/config or the in-cluster service account. */
export function loadKubeConfig(file?: string): KubeConfig {
  const kc = new KubeConfig();
  if (file !== undefined) kc.loadFromFile(file);
  else kc.loadFromDefault();
  return kc;
}

export class KubeApi {
  private readonly objects: KubernetesObjectApi;
  private readonly custom: CustomObjectsApi;
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  private readonly coordination: CoordinationV1Api;
  private readonly watcher: Watch;

  /** `requestTimeoutMs` bounds every call but watches (which the API server ends after their own timeout). */
  constructor(
    readonly config: KubeConfig,
    requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS,
  ) {
    const cluster = config.getCurrentCluster();
    if (!cluster) throw new KubeConfigError('the kubeconfig has no current cluster');
    const configuration = createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: config },
      promiseMiddleware: [requestTimeout(requestTimeoutMs)],
    });
    const named = <T extends object>(client: T, name: string) => namingTimeouts(client, name, requestTimeoutMs);
    this.objects = named(new ObjectApi(configuration, config), 'objects');
    this.custom = named(new CustomObjectsApi(configuration), 'custom');
    this.apps = named(new AppsV1Api(configuration), 'apps');
    this.core = named(new CoreV1Api(configuration), 'core');
    this.coordination = named(new CoordinationV1Api(configuration), 'coordination');
    this.watcher = new Watch(config);
  }

  /** Every object of a kind (in one namespace or all), page by page, with the list's resourceVersion. */
  async list(kind: ResourceKind, namespace: string | undefined, labelSelector?: string): Promise<ListResult> {
    const items: KubeObject[] = [];
    let continueToken: string | undefined;
    let resourceVersion: string;
    do {
      const page = await this.objects.list(
        apiVersionOf(kind),
        kind.kind,
        namespace,
        undefined,
        undefined,
        undefined,
        undefined,
        labelSelector,
        500,
        continueToken,
      );
      items.push(...(page.items as KubeObject[]));
      // Typed lists (Deployments) name it _continue, raw ones (custom resources) continue.
      const meta: { resourceVersion?: string; continue?: string; _continue?: string } = page.metadata ?? {};
      resourceVersion = meta.resourceVersion ?? '';
      continueToken = meta.continue || meta._continue || undefined;
    } while (continueToken !== undefined);
    return { items, resourceVersion };
  }

  /** Watches a kind from a resourceVersion; `done` is called once, with the error that ended it or null. */
  async watch(
    kind: ResourceKind,
    namespace: string | undefined,
    params: WatchParams,
    onEvent: (event: WatchEvent) => void,
    done: (error: unknown) => void,
  ): Promise<WatchHandle> {
    const query: Record<string, string | number | boolean> = {
      resourceVersion: params.resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: params.timeoutSeconds,
    };
    if (params.labelSelector !== undefined) query.labelSelector = params.labelSelector;
    return this.watcher.watch(
      collectionPath(kind, namespace),
      query,
      (type: string, object: unknown) => onEvent({ type, object } as WatchEvent),
      done,
    );
  }

  /** The StreamDeployment as stored now (not from a cache), or undefined when it is gone. */
  async getStreamDeployment(namespace: string, name: string): Promise<Record<string, unknown> | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({
        ...crd,
        namespace,
        name,
      })) as Record<string, unknown>;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * Replaces the status of the StreamDeployment whose metadata (name, namespace,
   * resourceVersion) is given: 409 when it changed since that resourceVersion.
   */
  async replaceStreamDeploymentStatus(
    metadata: { name: string; namespace: string; resourceVersion: string },
    object: Record<string, unknown>,
    status: unknown,
  ): Promise<Record<string, unknown>> {
    const body = { ...object, metadata: { ...(object.metadata as object), ...metadata }, status };
    return (await this.custom.replaceNamespacedCustomObjectStatus({
      ...crd,
      namespace: metadata.namespace,
      name: metadata.name,
      body,
    })) as Record<string, unknown>;
  }

  /** Sets the finalizers of a StreamDeployment, if it is still at `resourceVersion` (409 otherwise). */
  async setStreamDeploymentFinalizers(
    metadata: { name: string; namespace: string; resourceVersion: string },
    finalizers: string[],
  ): Promise<Record<string, unknown>> {
    return (await this.custom.patchNamespacedCustomObject(
      {
        ...crd,
        namespace: metadata.namespace,
        name: metadata.name,
        body: { metadata: { resourceVersion: metadata.resourceVersion, finalizers } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as Record<string, unknown>;
  }

  /** The StreamSnapshot as stored now, or undefined when it is gone. */
  async getStreamSnapshot(namespace: string, name: string): Promise<Record<string, unknown> | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({ ...snapshotCrd, namespace, name })) as Record<
        string,
        unknown
      >;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Creates a StreamSnapshot (its status is ignored by the API server: set it with patchStreamSnapshotStatus). */
  async createStreamSnapshot(namespace: string, body: object): Promise<void> {
    await this.custom.createNamespacedCustomObject({ ...snapshotCrd, namespace, body });
  }

  /**
   * Merges `status` into a StreamSnapshot's status; with `resourceVersion`, only if the snapshot
   * is still at it (409 otherwise). Returns the new resourceVersion.
   */
  async patchStreamSnapshotStatus(
    namespace: string,
    name: string,
    status: object,
    resourceVersion?: string,
  ): Promise<string> {
    const body = { ...(resourceVersion !== undefined ? { metadata: { resourceVersion } } : {}), status };
    const written = (await this.custom.patchNamespacedCustomObjectStatus(
      { ...snapshotCrd, namespace, name, body },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as { metadata?: { resourceVersion?: string } };
    return written.metadata?.resourceVersion ?? '';
  }

  /** Sets the finalizers of a StreamSnapshot, if it is still at `resourceVersion` (409 otherwise). */
  async setStreamSnapshotFinalizers(
    metadata: { name: string; namespace: string; resourceVersion: string },
    finalizers: string[],
  ): Promise<void> {
    await this.custom.patchNamespacedCustomObject(
      {
        ...snapshotCrd,
        namespace: metadata.namespace,
        name: metadata.name,
        body: { metadata: { resourceVersion: metadata.resourceVersion, finalizers } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }

  /** Deletes a StreamSnapshot (its finalizer, if any, runs first); gone already is fine. */
  async deleteStreamSnapshot(namespace: string, name: string): Promise<void> {
    try {
      await this.custom.deleteNamespacedCustomObject({ ...snapshotCrd, namespace, name });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  /** Server-side apply with the operator's field manager, taking over fields others set. */
  async apply(object: KubeObject): Promise<void> {
    await this.objects.patch(
      object as Parameters<KubernetesObjectApi['patch']>[0],
      undefined,
      undefined,
      FIELD_MANAGER,
      true,
      PatchStrategy.ServerSideApply,
    );
  }

  /** Creates the Secret unless one of that name exists; an existing one is left as it is (and never read). */
  async createSecretIfAbsent(secret: V1Secret): Promise<'created' | 'exists'> {
    try {
      await this.core.createNamespacedSecret({ namespace: secret.metadata!.namespace!, body: secret });
      return 'created';
    } catch (error) {
      if (isConflict(error)) return 'exists';
      throw error;
    }
  }

  /**
   * Deletes a Deployment in the foreground: it stays (with a deletionTimestamp)
   * until its pods are gone, so its absence means the process is gone too.
   */
  async deleteDeployment(namespace: string, name: string): Promise<void> {
    try {
      await this.apps.deleteNamespacedDeployment({ namespace, name, propagationPolicy: 'Foreground' });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  /** The pods matching a label selector in one namespace (one page: a StreamDeployment has a few). */
  async listPods(namespace: string, labelSelector: string): Promise<V1Pod[]> {
    const list = await this.core.listNamespacedPod({ namespace, labelSelector, limit: 100 });
    return list.items;
  }

  async createEvent(namespace: string, event: CoreV1Event): Promise<void> {
    await this.core.createNamespacedEvent({ namespace, body: event });
  }

  async readLease(namespace: string, name: string): Promise<V1Lease | undefined> {
    try {
      return await this.coordination.readNamespacedLease({ namespace, name });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async createLease(namespace: string, lease: V1Lease): Promise<V1Lease> {
    return this.coordination.createNamespacedLease({ namespace, body: lease });
  }

  /** Replaces a Lease; its metadata.resourceVersion makes it fail with 409 when another holder wrote first. */
  async replaceLease(namespace: string, lease: V1Lease): Promise<V1Lease> {
    return this.coordination.replaceNamespacedLease({ namespace, name: lease.metadata!.name!, body: lease });
  }
}

const crd = { group: streamDeployments.group, version: streamDeployments.version, plural: streamDeployments.plural };
const snapshotCrd = { group: streamSnapshots.group, version: streamSnapshots.version, plural: streamSnapshots.plural };
