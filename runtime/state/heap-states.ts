// ValueState, ListState, MapState, ReducingState and AggregatingState over a
// StateStore (heap or on-disk). Each reads the backend's current key group, key
// and namespace on every call, so one state object serves every key. Every
// change is written back with put, even one made in place.
import type { AggregateFunction, ReduceFunction } from '../api/functions.ts';
import type { KeyId } from './key.ts';
import type { Namespace, StateStore } from './state-table.ts';
import type { TtlPolicy, TtlValue } from './ttl.ts';
import type { AggregatingState, ListState, MapState, ReducingState, ValueState } from './state.ts';

/** Where a state object finds the current key; implemented by the keyed state backend. */
export interface CurrentKeyScope {
  readonly currentGroup: number;
  readonly currentKeyId: KeyId;
}

/** Runs on each access of a TTL state, so incremental cleanup makes progress. */
export type AccessHook = (() => void) | undefined;

/** Which namespace a state object addresses: always VOID, or the backend's current one (windows). */
export interface NamespaceScope {
  readonly namespace: Namespace;
}

abstract class HeapState<S> {
  /** Set by the backend for TTL states. */
  onAccess: AccessHook;

  constructor(
    protected readonly scope: CurrentKeyScope,
    protected readonly namespaces: NamespaceScope,
    protected readonly table: StateStore<S>,
  ) {}

  protected read(): S | undefined {
    const { scope } = this;
    this.onAccess?.();
    return this.table.get(scope.currentGroup, scope.currentKeyId, this.namespaces.namespace);
  }

  protected write(stored: S): void {
    const { scope } = this;
    this.onAccess?.();
    this.table.put(scope.currentGroup, scope.currentKeyId, this.namespaces.namespace, stored);
  }

  clear(): void {
    const { scope } = this;
    this.table.remove(scope.currentGroup, scope.currentKeyId, this.namespaces.namespace);
  }
}

/** A single value per key, optionally with TTL (stored as TtlValue then). */
class SingleValueState<T> extends HeapState<unknown> {
  constructor(
    scope: CurrentKeyScope,
    namespaces: NamespaceScope,
    table: StateStore<unknown>,
    protected readonly ttl: TtlPolicy | undefined,
  ) {
    super(scope, namespaces, table);
  }

  protected readValue(): T | undefined {
    const stored = this.read();
    if (this.ttl === undefined) return stored as T | undefined;
    const value = this.ttl.read(stored as TtlValue<T> | undefined);
    if (value === undefined && stored !== undefined) this.clear();
    else if (value !== undefined && this.ttl.refreshesOnRead) this.write(stored);
    return value;
  }

  protected writeValue(value: T): void {
    this.write(this.ttl === undefined ? value : this.ttl.wrap(value));
  }
}

export class HeapValueState<T> extends SingleValueState<T> implements ValueState<T> {
  value(): T | undefined {
    return this.readValue();
  }

  update(value: T): void {
    if (value === undefined) this.clear();
    else this.writeValue(value);
  }
}

export class HeapReducingState<T> extends SingleValueState<T> implements ReducingState<T> {
  constructor(
    scope: CurrentKeyScope,
    namespaces: NamespaceScope,
    table: StateStore<unknown>,
    ttl: TtlPolicy | undefined,
    private readonly reduce: ReduceFunction<T>,
  ) {
    super(scope, namespaces, table, ttl);
  }

  get(): T | undefined {
    return this.readValue();
  }

  add(value: T): void {
    const current = this.readValue();
    this.writeValue(current === undefined ? value : this.reduce(current, value));
  }
}

export class HeapAggregatingState<IN, ACC, OUT> extends SingleValueState<ACC> implements AggregatingState<IN, OUT> {
  constructor(
    scope: CurrentKeyScope,
    namespaces: NamespaceScope,
    table: StateStore<unknown>,
    ttl: TtlPolicy | undefined,
    private readonly aggregate: AggregateFunction<IN, ACC, OUT>,
  ) {
    super(scope, namespaces, table, ttl);
  }

  get(): OUT | undefined {
    const accumulator = this.readValue();
    return accumulator === undefined ? undefined : this.aggregate.getResult(accumulator);
  }

  add(value: IN): void {
    const accumulator = this.readValue() ?? this.aggregate.createAccumulator();
    this.writeValue(this.aggregate.add(value, accumulator));
  }
}

/** List state; with TTL every element carries its own clock (as in Flink). */
export class HeapListState<T> extends HeapState<unknown[]> implements ListState<T> {
  constructor(
    scope: CurrentKeyScope,
    namespaces: NamespaceScope,
    table: StateStore<unknown[]>,
    private readonly ttl: TtlPolicy | undefined,
  ) {
    super(scope, namespaces, table);
  }

  get(): T[] {
    const stored = this.read();
    if (stored === undefined) return [];
    if (this.ttl === undefined) return [...(stored as T[])];
    const alive: T[] = [];
    for (const entry of stored as TtlValue<T>[]) {
      const value = this.ttl.read(entry);
      if (value !== undefined) alive.push(value);
    }
    if (alive.length === 0) this.clear();
    else if (this.ttl.refreshesOnRead) this.write(stored);
    return alive;
  }

  add(value: T): void {
    const stored = this.read();
    const element = this.ttl === undefined ? value : this.ttl.wrap(value);
    if (stored === undefined) this.write([element]);
    else {
      stored.push(element);
      this.write(stored);
    }
  }

  addAll(values: Iterable<T>): void {
    for (const value of values) this.add(value);
  }

  update(values: Iterable<T>): void {
    this.clear();
    this.addAll(values);
  }
}

/** Map state; with TTL every entry carries its own clock. */
export class HeapMapState<K, V> extends HeapState<Map<K, unknown>> implements MapState<K, V> {
  constructor(
    scope: CurrentKeyScope,
    namespaces: NamespaceScope,
    table: StateStore<Map<K, unknown>>,
    private readonly ttl: TtlPolicy | undefined,
  ) {
    super(scope, namespaces, table);
  }

  private unwrap(key: K, stored: unknown, map: Map<K, unknown>): V | undefined {
    if (this.ttl === undefined) return stored as V | undefined;
    const value = this.ttl.read(stored as TtlValue<V> | undefined);
    if (value === undefined && stored !== undefined) map.delete(key);
    return value;
  }

  get(key: K): V | undefined {
    const map = this.read();
    if (map === undefined) return undefined;
    const value = this.unwrap(key, map.get(key), map);
    if (value !== undefined && this.ttl?.refreshesOnRead) this.write(map);
    return value;
  }

  put(key: K, value: V): void {
    const map = this.read() ?? new Map<K, unknown>();
    map.set(key, this.ttl === undefined ? value : this.ttl.wrap(value));
    this.write(map);
  }

  putAll(entries: Iterable<[K, V]>): void {
    for (const [key, value] of entries) this.put(key, value);
  }

  remove(key: K): void {
    const map = this.read();
    if (map === undefined || !map.has(key)) return;
    map.delete(key);
    if (map.size === 0) this.clear();
    else this.write(map);
  }

  contains(key: K): boolean {
    return this.get(key) !== undefined;
  }

  entries(): [K, V][] {
    const map = this.read();
    if (map === undefined) return [];
    const result: [K, V][] = [];
    const before = map.size;
    for (const [key, stored] of [...map]) {
      const value = this.unwrap(key, stored, map);
      if (value !== undefined) result.push([key, value]);
    }
    if (map.size === 0) this.clear();
    else if (map.size !== before || (this.ttl?.refreshesOnRead && result.length > 0)) this.write(map);
    return result;
  }

  keys(): K[] {
    return this.entries().map(([key]) => key);
  }

  values(): V[] {
    return this.entries().map(([, value]) => value);
  }

  isEmpty(): boolean {
    return this.entries().length === 0;
  }
}
