// State descriptors: the name (matched on restore together with the operator
// uid), the kind of state, and its TTL. Created with the helpers below.
import type { AggregateFunction, ReduceFunction } from '../api/functions.ts';
import type { AggregatingState, ListState, MapState, ReducingState, ValueState } from './state.ts';

/** Time-to-live of keyed state entries, measured in processing time. */
export interface StateTtlConfig {
  ttlMs: number;
  /** When the clock of an entry restarts: on writes only, or on reads too. */
  updateType: 'on-create-and-write' | 'on-read-and-write';
  /** Expired entries are never returned (the only visibility Brook offers, as Flink's default). */
  visibility: 'never-return-expired';
  /** Entries checked for expiry on each state access, so expired entries leave memory. */
  cleanupEntriesPerAccess: number;
}

interface DescriptorBase<S> {
  name: string;
  ttl?: StateTtlConfig;
  /** Phantom: ties the descriptor to the state type it yields. */
  __state?: S;
}

export interface ValueStateDescriptor<T> extends DescriptorBase<ValueState<T>> {
  kind: 'value';
}
export interface ListStateDescriptor<T> extends DescriptorBase<ListState<T>> {
  kind: 'list';
}
export interface MapStateDescriptor<K, V> extends DescriptorBase<MapState<K, V>> {
  kind: 'map';
}
export interface ReducingStateDescriptor<T> extends DescriptorBase<ReducingState<T>> {
  kind: 'reducing';
  reduce: ReduceFunction<T>;
}
export interface AggregatingStateDescriptor<IN, ACC, OUT> extends DescriptorBase<AggregatingState<IN, OUT>> {
  kind: 'aggregating';
  aggregate: AggregateFunction<IN, ACC, OUT>;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- descriptors of any element type */
export type AnyStateDescriptor =
  | ValueStateDescriptor<any>
  | ListStateDescriptor<any>
  | MapStateDescriptor<any, any>
  | ReducingStateDescriptor<any>
  | AggregatingStateDescriptor<any, any, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

/** A descriptor of state `S` (for APIs that take any kind of state). */
export type StateDescriptor<S> = AnyStateDescriptor & DescriptorBase<S>;

function checkName(name: string): void {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError('a state descriptor needs a non-empty name');
}

export interface StateOptions {
  ttl?: StateTtlConfig;
}

export function valueState<T>(name: string, options: StateOptions = {}): ValueStateDescriptor<T> {
  checkName(name);
  return { kind: 'value', name, ttl: options.ttl };
}

export function listState<T>(name: string, options: StateOptions = {}): ListStateDescriptor<T> {
  checkName(name);
  return { kind: 'list', name, ttl: options.ttl };
}

export function mapState<K, V>(name: string, options: StateOptions = {}): MapStateDescriptor<K, V> {
  checkName(name);
  return { kind: 'map', name, ttl: options.ttl };
}

export function reducingState<T>(
  name: string,
  reduce: ReduceFunction<T>,
  options: StateOptions = {},
): ReducingStateDescriptor<T> {
  checkName(name);
  return { kind: 'reducing', name, reduce, ttl: options.ttl };
}

export function aggregatingState<IN, ACC, OUT>(
  name: string,
  aggregate: AggregateFunction<IN, ACC, OUT>,
  options: StateOptions = {},
): AggregatingStateDescriptor<IN, ACC, OUT> {
  checkName(name);
  return { kind: 'aggregating', name, aggregate, ttl: options.ttl };
}

/**
 * A TTL configuration: entries expire `ttlMs` after their last write (or read).
 *
 * @example
 * const cache = mapState<string, number>('similar-items', { ttl: stateTtl(60 * 60_000) })
 */
export function stateTtl(
  ttlMs: number,
  options: Partial<Pick<StateTtlConfig, 'updateType' | 'cleanupEntriesPerAccess'>> = {},
): StateTtlConfig {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0)
    throw new RangeError(`state TTL must be a positive number of ms, got ${ttlMs}`);
  return {
    ttlMs,
    updateType: options.updateType ?? 'on-create-and-write',
    visibility: 'never-return-expired',
    cleanupEntriesPerAccess: options.cleanupEntriesPerAccess ?? 5,
  };
}
