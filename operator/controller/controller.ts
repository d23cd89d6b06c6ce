// The controller: informers on StreamDeployments and the children the
// operator owns feed a work queue; while this replica leads, workers take
// keys one at a time per resource and reconcile them; decide's requeueAfterMs,
// a periodic resync and error backoff bring keys back. Metrics and health on
// an HTTP port; stop() is the graceful shutdown.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { KubeConfig } from '@kubernetes/client-node';
import type { S3StorageOptions } from '../../runtime/checkpoint/storage.ts';
import { describeCauseChain } from '../../runtime/errors.ts';
import { childNames, ports } from '../children/names.ts';
import type { Backoff } from './backoff.ts';
import { EventRecorder } from './events.ts';
import { OperatorHttpServer } from './http-server.ts';
import { Informer } from './informer.ts';
import { KubeApi } from './kube-api.ts';
import {
  configMaps,
  deployments,
  managedBySelector,
  objectKey,
  services,
  splitKey,
  streamDeployments,
  streamSnapshots,
  type KubeObject,
} from './kube-resources.ts';
import { LeaderElector, type LeaderElectionOptions } from './leader-election.ts';
import { OperatorMetrics } from './metrics.ts';
import {
  newReconcilerMemory,
  reconcile,
  type ReconcileHooks,
  type ReconcilerDependencies,
  type ReconcileOutcome,
} from './reconciler.ts';
import { StateStorage } from './state-storage.ts';
import {
  reconcileSnapshot,
  snapshotNeedsReconcile,
  syncDeploymentSnapshots,
  type SnapshotDependencies,
} from './snapshots.ts';
import { WorkQueue } from './work-queue.ts';
import type { DefaultConfig } from '../resource/default-config.ts';
import { logger } from '../../runtime/logging/logger.ts';

export interface ControllerOptions {
  kubeConfig: KubeConfig;
  log: Logger;
  /** Namespaces to watch; undefined watches all. */
  namespaces?: string[];
  /** Reconciles running at once (each resource is still reconciled by one at a time). Default 2. */
  workers?: number;
  /** Every resource is reconciled at least this often. Default 10 minutes. */
  resyncPeriodMs?: number;
  /** Backoff of a failing reconcile. Default 1 s doubling up to 2 minutes. */
  backoff?: Backoff;
  /** The JobManager's REST address; default `http://<name>-jobmanager.<namespace>.svc:8081`. */
  jobManagerUrl?: (namespace: string, name: string) => string;
  restTimeoutMs?: number;
  /** How long one Kubernetes API call (not a watch) may take. Default 30 s. */
  apiTimeoutMs?: number;
  /** How the operator reaches S3 for checkpoints and savepoints (endpoint, credentials). */
  s3?: S3StorageOptions;
  /** Leader election; false: this replica always leads (one replica only). */
  leaderElection?: Omit<LeaderElectionOptions, 'identity'> | false;
  /** This replica's name in the Lease and in Events; default host name plus a random suffix. */
  identity?: string;
  /** Port of /metrics, /healthz, /readyz (0: any free port); undefined: no HTTP server. */
  metricsPort?: number;
  metricsHost?: string;
  /** Collect Node's process metrics too (default true). */
  processMetrics?: boolean;
  /** How long stop() waits for reconciles in flight. Default 30 s. */
  shutdownGraceMs?: number;
  watchTimeoutSeconds?: number;
  hooks?: ReconcileHooks;
  /** Configuration every StreamDeployment gets unless its spec.config sets the key (parseDefaultConfig). */
  defaultConfig?: DefaultConfig;
}

export const defaultJobManagerUrl = (namespace: string, name: string) =>
  `http://${childNames(name).jobManagerService}.${namespace}.svc:${ports.rest}`;

export class Controller {
  readonly api: KubeApi;
  readonly metrics: OperatorMetrics;
  readonly identity: string;
  readonly streamDeployments: Informer;
  readonly streamSnapshots: Informer;
  readonly children: Informer[];
  /** Reconciles that ran to the end (any result), for tests and logs. */
  reconcileCount = 0;
  /** The port /metrics listens on, once started. */
  metricsPort: number | undefined;
  private readonly log: Logger;
  private readonly elector: LeaderElector | undefined;
  private readonly deps: ReconcilerDependencies;
  private readonly snapshotDeps: SnapshotDependencies;
  private readonly memory = newReconcilerMemory();
  private readonly workersCount: number;
  private queue: WorkQueue | undefined;
  private workers: Promise<void>[] = [];
  private resyncTimer: NodeJS.Timeout | undefined;
  private server: OperatorHttpServer | undefined;
  private leading = false;
  private stopping = false;
  private started = false;

  constructor(private readonly options: ControllerOptions) {
    this.log = logger('operator.controller', options.log);
    this.identity = options.identity ?? `${hostname()}-${randomBytes(3).toString('hex')}`;
    this.api = new KubeApi(options.kubeConfig, options.apiTimeoutMs);
    this.workersCount = options.workers ?? 2;
    this.metrics = new OperatorMetrics(
      {
        queueDepth: () => this.queue?.length ?? 0,
        lifecycleStates: () =>
          this.streamDeployments
            .list()
            .map((o) => (o as { status?: { lifecycleState?: string } }).status?.lifecycleState ?? ''),
        isLeader: () => this.isLeader,
      },
      { processMetrics: options.processMetrics ?? true },
    );
    const informerError = () => this.metrics.errors.inc({ source: 'informer' });
    const common = {
      api: this.api,
      namespaces: options.namespaces,
      log: this.log,
      onError: informerError,
      ...(options.watchTimeoutSeconds !== undefined ? { watchTimeoutSeconds: options.watchTimeoutSeconds } : {}),
    };
    this.streamDeployments = new Informer({
      ...common,
      kind: streamDeployments,
      onChange: (type, object, previous) => {
        if (type !== 'update' || meaningfulChange(object, previous)) this.enqueue(objectKey(object));
      },
    });
    this.streamSnapshots = new Informer({
      ...common,
      kind: streamSnapshots,
      onChange: (type, object, previous) => {
        if (type !== 'update' || meaningfulChange(object, previous)) this.enqueue(snapshotKey(object));
      },
    });
    this.children = [deployments, services, configMaps].map(
      (kind) =>
        new Informer({
          ...common,
          kind,
          labelSelector: managedBySelector,
          onChange: (_type, object) => {
            const owner = object.metadata?.ownerReferences?.find((r) => r.kind === 'StreamDeployment');
            if (owner) this.enqueue(`${object.metadata?.namespace ?? ''}/${owner.name}`);
          },
        }),
    );
    if (options.leaderElection !== false && options.leaderElection !== undefined) {
      this.elector = new LeaderElector(
        this.api,
        { ...options.leaderElection, identity: this.identity },
        { onStartedLeading: () => this.startLeading(), onStoppedLeading: () => this.stopLeading() },
        logger('operator.leader-election', this.log),
        () => this.metrics.errors.inc({ source: 'leader-election' }),
      );
    }
    const restTimeoutMs = options.restTimeoutMs ?? 5_000;
    const storage = new StateStorage(options.s3);
    const events = new EventRecorder(this.api, this.identity, () => this.metrics.errors.inc({ source: 'event' }));
    const jobManagerUrl = options.jobManagerUrl ?? defaultJobManagerUrl;
    const defaultConfig = options.defaultConfig ?? {};
    this.snapshotDeps = {
      api: this.api,
      snapshots: this.streamSnapshots,
      jobManagerUrl,
      restTimeoutMs,
      storage,
      events,
      isLeader: () => this.isLeader,
      defaultConfig,
    };
    this.deps = {
      api: this.api,
      deployments: this.children[0]!,
      snapshots: this.streamSnapshots,
      jobManagerUrl,
      storage,
      restTimeoutMs,
      events,
      metrics: this.metrics,
      log: this.log,
      isLeader: () => this.isLeader,
      defaultConfig,
      syncSnapshots: (deployment, status, log) =>
        syncDeploymentSnapshots(this.snapshotDeps, deployment, status, Date.now(), log),
      ...(options.hooks ? { hooks: options.hooks } : {}),
    };
  }

  /** True while this replica acts: it leads (or runs without leader election) and is not stopping. */
  get isLeader(): boolean {
    if (this.stopping || !this.leading) return false;
    return this.elector ? this.elector.isLeader : true;
  }

  get informers(): Informer[] {
    return [this.streamDeployments, this.streamSnapshots, ...this.children];
  }

  /** Ready: the caches are filled; then a leader reconciles and a standby waits for the Lease. */
  get isReady(): boolean {
    return this.started && !this.stopping && this.informers.every((i) => i.hasSynced);
  }

  /** Starts the HTTP endpoint, the informers and leader election; returns at once (see whenSynced). */
  async start(): Promise<void> {
    if (this.options.metricsPort !== undefined) {
      this.server = new OperatorHttpServer(this.metrics.registry, {
        healthy: () => !this.stopping,
        ready: () => this.isReady,
      });
      this.metricsPort = await this.server.listen(this.options.metricsPort, this.options.metricsHost ?? '0.0.0.0');
    }
    for (const informer of this.informers) informer.start();
    this.started = true;
    this.log.info(
      { identity: this.identity, namespaces: this.options.namespaces ?? 'all', metricsPort: this.metricsPort },
      'operator started',
    );
    if (this.elector) this.elector.start();
    else this.startLeading();
  }

  whenSynced(): Promise<void> {
    return Promise.all(this.informers.map((i) => i.whenSynced())).then(() => undefined);
  }

  /** Graceful shutdown: no new reconciles, those in flight finish (up to the grace period), the Lease is released. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.log.info('operator stopping');
    this.stopLeading();
    await this.drainWorkers(this.options.shutdownGraceMs ?? 30_000);
    await this.elector?.stop();
    await Promise.all(this.informers.map((i) => i.stop()));
    await this.server?.close();
    this.log.info('operator stopped');
  }

  private enqueue(key: string): void {
    this.queue?.add(key);
  }

  private startLeading(): void {
    if (this.stopping || this.leading) return;
    this.leading = true;
    const queue = new WorkQueue(this.options.backoff ?? { baseMs: 1_000, maxMs: 120_000 });
    this.queue = queue;
    // Workers of an earlier term finish first, so that no key is ever reconciled twice at once.
    const previous = Promise.all(this.workers);
    this.workers = Array.from({ length: this.workersCount }, () => previous.then(() => this.work(queue)));
    // Everything in the cache once it is filled; then again every resync period.
    this.streamDeployments.whenSynced().then(
      () => this.resync(queue),
      () => {},
    );
    const period = this.options.resyncPeriodMs ?? 10 * 60_000;
    this.resyncTimer = setInterval(() => this.resync(queue), period);
  }

  private stopLeading(): void {
    if (!this.leading) return;
    this.leading = false;
    clearInterval(this.resyncTimer);
    // Workers finish the reconcile they are in (which checks leadership before writing) and exit.
    this.queue?.shutDown();
    this.queue = undefined;
  }

  private resync(queue: WorkQueue): void {
    for (const object of this.streamDeployments.list()) queue.add(objectKey(object));
    for (const object of this.streamSnapshots.list()) {
      if (snapshotNeedsReconcile(object)) queue.add(snapshotKey(object));
    }
  }

  private async drainWorkers(graceMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.all(this.workers), grace]);
    clearTimeout(timer);
  }

  private async work(queue: WorkQueue): Promise<void> {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        await this.reconcileKey(queue, key);
      } finally {
        queue.done(key);
      }
    }
  }

  private async reconcileKey(queue: WorkQueue, key: string): Promise<void> {
    const started = process.hrtime.bigint();
    let outcome: ReconcileOutcome;
    try {
      outcome = key.startsWith(SNAPSHOT_KEY_PREFIX)
        ? await this.reconcileSnapshotKey(key)
        : await reconcile(this.deps, this.memory, key);
    } catch (error) {
      this.metrics.errors.inc({ source: 'reconcile' });
      const delay = queue.addRateLimited(key);
      const { namespace, name } = splitKey(key);
      this.log.warn(
        { namespace, name, err: describeCauseChain(error), failures: queue.failuresOf(key), retryInMs: delay },
        'reconcile failed',
      );
      this.observeDuration('error', started);
      return;
    }
    this.observeDuration(outcome.result, started);
    if (outcome.result === 'gone') {
      this.memory.paused.delete(key);
      this.memory.refused.delete(key);
    }
    queue.forget(key);
    if (outcome.requeueAfterMs !== undefined) queue.addAfter(key, outcome.requeueAfterMs);
  }

  private async reconcileSnapshotKey(key: string): Promise<ReconcileOutcome> {
    const { namespace, name } = splitKey(key.slice(SNAPSHOT_KEY_PREFIX.length));
    const log = logger('operator.reconcile', this.log).child({ kind: 'StreamSnapshot', namespace, name });
    const outcome = await reconcileSnapshot(this.snapshotDeps, namespace, name, log);
    return outcome;
  }

  private observeDuration(result: ReconcileOutcome['result'], started: bigint): void {
    this.reconcileCount += 1;
    this.metrics.reconciles.inc({ result });
    this.metrics.reconcileDuration.observe({ result }, Number(process.hrtime.bigint() - started) / 1e9);
  }
}

/** StreamSnapshots share the work queue with StreamDeployments under keys of their own. */
const SNAPSHOT_KEY_PREFIX = 'snapshot:';
const snapshotKey = (object: KubeObject) => `${SNAPSHOT_KEY_PREFIX}${objectKey(object)}`;

/** Status-only updates (the operator's own writes) need no reconcile; spec, metadata and deletion do. */
function meaningfulChange(object: KubeObject, previous: KubeObject | undefined): boolean {
  const a = object.metadata;
  const b = previous?.metadata;
  return (
    a?.generation !== b?.generation ||
    String(a?.deletionTimestamp) !== String(b?.deletionTimestamp) ||
    JSON.stringify(a?.annotations ?? {}) !== JSON.stringify(b?.annotations ?? {}) ||
    JSON.stringify(a?.finalizers ?? []) !== JSON.stringify(b?.finalizers ?? [])
  );
}
