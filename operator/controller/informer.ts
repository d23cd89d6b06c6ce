// An informer: a cache of one kind of object kept current by list + watch.
// It watches from the resourceVersion of its list or last event, re-lists when
// the API server answers 410 Gone (that version is too old to watch from), and
// retries any other failure with capped exponential backoff. One loop per
// watched namespace (or one for all namespaces) feeds one store.
import type { Logger } from 'pino';
import { isAbort, sleep } from './sleep.ts';
import { logger } from '../../runtime/logging/logger.ts';
import { backoffDelayMs } from './backoff.ts';
import { statusCodeOf, type KubeApi, type WatchEvent, type WatchHandle } from './kube-api.ts';
import { objectKey, type KubeObject, type ResourceKind } from './kube-resources.ts';

export type ChangeType = 'add' | 'update' | 'delete';

export interface InformerOptions {
  api: KubeApi;
  kind: ResourceKind;
  /** The namespaces to watch; undefined watches all. */
  namespaces: string[] | undefined;
  labelSelector?: string;
  /** `previous` is the cached object an update or delete replaced. */
  onChange: (type: ChangeType, object: KubeObject, previous?: KubeObject) => void;
  log: Logger;
  /** The API server ends each watch after about this long (randomised ±20 %); default 300 s. */
  watchTimeoutSeconds?: number;
  /** Called for every failed list or watch (for metrics). */
  onError?: (error: unknown) => void;
}

/** Thrown out of a watch whose resourceVersion is too old: the loop re-lists. */
class ResourceVersionExpired extends Error {}

export class Informer {
  private readonly store = new Map<string, KubeObject>();
  private readonly loops: ListWatchLoop[];
  private readonly synced: Promise<void>;
  /** Lists done after the first one of each loop: re-lists after 410 Gone or a failure. */
  relists = 0;

  constructor(readonly options: InformerOptions) {
    const scopes = options.namespaces ?? [undefined];
    this.loops = scopes.map((namespace) => new ListWatchLoop(this, namespace));
    this.synced = Promise.all(this.loops.map((loop) => loop.firstList)).then(() => undefined);
  }

  get kind(): string {
    return this.options.kind.kind;
  }

  start(): void {
    for (const loop of this.loops) loop.start();
  }

  /** Resolves once every namespace has been listed. */
  whenSynced(): Promise<void> {
    return this.synced;
  }

  get hasSynced(): boolean {
    return this.loops.every((loop) => loop.listed);
  }

  async stop(): Promise<void> {
    await Promise.all(this.loops.map((loop) => loop.stop()));
  }

  get(namespace: string, name: string): KubeObject | undefined {
    return this.store.get(`${namespace}/${name}`);
  }

  list(): KubeObject[] {
    return [...this.store.values()];
  }

  /**
   * Drops the current watches and watches again from `resourceVersion`, as
   * after a reconnect; a version the API server no longer has gets 410 Gone
   * and a re-list. Tests use it to reach that path on demand.
   */
  restartWatch(resourceVersion: string): void {
    for (const loop of this.loops) loop.restartFrom(resourceVersion);
  }

  /** @internal the loops' view of the store. */
  replaceScope(namespace: string | undefined, items: KubeObject[]): void {
    const fresh = new Map(items.map((item) => [objectKey(item), item]));
    for (const [key, old] of this.store) {
      if (namespace !== undefined && old.metadata?.namespace !== namespace) continue;
      if (!fresh.has(key)) this.remove(old);
    }
    for (const item of items) this.upsert(item);
  }

  /** @internal */
  upsert(object: KubeObject): void {
    const key = objectKey(object);
    const old = this.store.get(key);
    if (old && old.metadata?.resourceVersion === object.metadata?.resourceVersion) return;
    this.store.set(key, object);
    this.options.onChange(old ? 'update' : 'add', object, old);
  }

  /** @internal */
  remove(object: KubeObject): void {
    const key = objectKey(object);
    const old = this.store.get(key);
    if (!old) return;
    this.store.delete(key);
    this.options.onChange('delete', object, old);
  }
}

class ListWatchLoop {
  resourceVersion = '';
  listed = false;
  readonly firstList: Promise<void>;
  private resolveFirstList!: () => void;
  private readonly abort = new AbortController();
  private watch: (WatchHandle & { endedByUs?: boolean }) | undefined;
  private running: Promise<void> | undefined;
  private failures = 0;
  private readonly log: Logger;

  constructor(
    private readonly informer: Informer,
    private readonly namespace: string | undefined,
  ) {
    this.firstList = new Promise((resolve) => (this.resolveFirstList = resolve));
    this.log = logger('operator.informer', informer.options.log).child({
      kind: informer.kind,
      scope: namespace ?? '(all namespaces)',
    });
  }

  start(): void {
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.endWatch();
    await this.running;
  }

  restartFrom(resourceVersion: string): void {
    this.resourceVersion = resourceVersion;
    this.endWatch();
  }

  /** Ends the current watch on purpose: the loop goes on as after a normal end. */
  private endWatch(): void {
    if (!this.watch) return;
    this.watch.endedByUs = true;
    this.watch.abort();
  }

  private async run(): Promise<void> {
    while (!this.abort.signal.aborted) {
      try {
        if (this.resourceVersion === '') await this.list();
        await this.watchOnce();
        this.failures = 0;
      } catch (error) {
        if (this.abort.signal.aborted) break;
        if (error instanceof ResourceVersionExpired || statusCodeOf(error) === 410) {
          this.log.info({ resourceVersion: this.resourceVersion }, 'resourceVersion expired (410 Gone); re-listing');
          this.resourceVersion = '';
          continue;
        }
        this.failures += 1;
        this.informer.options.onError?.(error);
        const delay = backoffDelayMs(this.failures, { baseMs: 200, maxMs: 30_000 });
        this.log.warn({ err: error, retryInMs: delay }, 'list or watch failed');
        try {
          await sleep(delay, this.abort.signal);
        } catch (e) {
          if (!isAbort(e)) throw e;
        }
      }
    }
  }

  private async list(): Promise<void> {
    const { api, kind, labelSelector } = this.informer.options;
    const result = await api.list(kind, this.namespace, labelSelector);
    if (this.abort.signal.aborted) return;
    if (this.listed) this.informer.relists += 1;
    this.informer.replaceScope(this.namespace, result.items);
    this.resourceVersion = result.resourceVersion;
    if (!this.listed) {
      this.listed = true;
      this.resolveFirstList();
    }
    this.log.debug({ items: result.items.length, resourceVersion: result.resourceVersion }, 'listed');
  }

  /** One watch, until the API server ends it (resolve), it fails (reject) or the version expired (reject). */
  private watchOnce(): Promise<void> {
    const { api, kind, labelSelector, watchTimeoutSeconds = 300 } = this.informer.options;
    const timeoutSeconds = Math.round(watchTimeoutSeconds * (0.8 + Math.random() * 0.4));
    return new Promise<void>((resolve, reject) => {
      let expired = false;
      let finished = false;
      let failure: Error | undefined;
      // A connection that died silently never ends; give up on it a little after the server would have.
      const watchdog = setTimeout(() => this.endWatch(), (timeoutSeconds + 30) * 1000);
      const done = (error: unknown) => {
        clearTimeout(watchdog);
        finished = true;
        const endedByUs = this.watch?.endedByUs === true;
        this.watch = undefined;
        if (expired) reject(new ResourceVersionExpired());
        else if (endedByUs) resolve();
        else if (error) reject(error instanceof Error ? error : new Error(JSON.stringify(error)));
        else if (failure) reject(failure);
        else resolve();
      };
      const onEvent = (event: WatchEvent) => {
        if (event.type === 'ERROR') {
          if (event.object.code === 410) expired = true;
          else failure = new Error(`watch error ${event.object.code}: ${event.object.message ?? event.object.reason}`);
          return;
        }
        const version = event.object.metadata?.resourceVersion;
        if (event.type === 'DELETED') this.informer.remove(event.object);
        else if (event.type !== 'BOOKMARK') this.informer.upsert(event.object);
        if (version) this.resourceVersion = version;
      };
      api
        .watch(
          kind,
          this.namespace,
          { resourceVersion: this.resourceVersion, labelSelector, timeoutSeconds },
          onEvent,
          done,
        )
        .then(
          (handle) => {
            if (finished) return;
            this.watch = handle;
            if (this.abort.signal.aborted) this.endWatch();
          },
          (error: unknown) => done(error),
        );
    });
  }
}
