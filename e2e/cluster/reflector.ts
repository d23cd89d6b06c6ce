// List-then-watch of one collection into a local cache, as client-go's
// reflector does: watches resume from the last resourceVersion, an expired
// one (410) lists again, and every difference reaches `onChange` once.
import type { KubeClient, WatchEvent, WatchStream } from './api.ts';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  creationTimestamp?: string;
}

export interface KubeObject {
  metadata: ObjectMeta;
}

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export class Reflector<T extends KubeObject> {
  /** The objects as last seen, by `namespace/name`. */
  readonly items = new Map<string, T>();
  private resourceVersion = '';
  private stream: WatchStream | undefined;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;
  private synced: Promise<void>;
  private markSynced!: () => void;

  constructor(
    private readonly client: KubeClient,
    /** A collection path such as /api/v1/namespaces/ns/pods. */
    private readonly path: string,
    private readonly onChange: (type: ChangeType, object: T, previous: T | undefined) => void,
    private readonly onError: (error: unknown) => void,
  ) {
    this.synced = new Promise((resolve) => (this.markSynced = resolve));
  }

  /** Starts listing and watching; resolves once the first list is in the cache. */
  start(): Promise<void> {
    void this.list();
    return this.synced;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.stream?.close();
    this.stream = undefined;
  }

  private later(step: () => Promise<void> | void, ms = 1000): void {
    if (this.stopped) return;
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void step(), ms);
  }

  private async list(): Promise<void> {
    if (this.stopped) return;
    let answer: { items: T[]; metadata: { resourceVersion: string } };
    try {
      answer = await this.client.request(`GET`, this.path);
    } catch (error) {
      this.onError(error);
      this.later(() => this.list());
      return;
    }
    if (this.stopped) return;
    const seen = new Set<string>();
    for (const item of answer.items) {
      const key = keyOf(item);
      seen.add(key);
      this.apply('MODIFIED', item);
    }
    for (const [key, item] of this.items) {
      if (!seen.has(key)) this.apply('DELETED', item);
    }
    this.resourceVersion = answer.metadata.resourceVersion;
    this.markSynced();
    this.watch();
  }

  private watch(): void {
    if (this.stopped) return;
    let expired = false;
    this.stream = this.client.watch<T>(
      this.path,
      { resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 240 },
      (event: WatchEvent<T>) => {
        if (event.type === 'ERROR') {
          // A Status object: 410 Gone means our resourceVersion is too old to resume from.
          expired = true;
          return;
        }
        if (event.object.metadata.resourceVersion) this.resourceVersion = event.object.metadata.resourceVersion;
        if (event.type !== 'BOOKMARK') this.apply(event.type, event.object);
      },
      (error) => {
        this.stream = undefined;
        if (error) this.onError(error);
        if (expired || error) this.later(() => this.list(), error ? 1000 : 0);
        else this.watch();
      },
    );
  }

  private apply(type: ChangeType, object: T): void {
    const key = keyOf(object);
    const previous = this.items.get(key);
    if (type === 'DELETED') {
      if (!previous) return;
      this.items.delete(key);
      this.onChange('DELETED', object, previous);
      return;
    }
    if (previous?.metadata.resourceVersion === object.metadata.resourceVersion) return;
    this.items.set(key, object);
    this.onChange(previous ? 'MODIFIED' : 'ADDED', object, previous);
  }
}
