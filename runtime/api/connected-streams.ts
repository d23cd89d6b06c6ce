// Two streams processed together: connect + (Keyed)CoProcessFunction, and the
// broadcast state pattern (a stream connected with a BroadcastStream).
import {
  BroadcastProcessOperator,
  CoProcessOperator,
  KeyedBroadcastProcessOperator,
  KeyedCoProcessOperator,
} from '../operators/co-process.ts';
import type { MapStateDescriptor } from '../state/descriptors.ts';
import type { Key } from '../state/key.ts';
import type { DataStream } from './data-stream.ts';
import type {
  BroadcastProcessFunction,
  CoProcessFunction,
  KeyedBroadcastProcessFunction,
  KeyedCoProcessFunction,
  KeySelector,
} from './functions.ts';
import { perInstance } from './per-instance.ts';

function keySelectorOf(stream: DataStream<unknown>): ((v: unknown) => Key) | undefined {
  return (stream as { keySelector?: (v: unknown) => Key }).keySelector;
}

export class ConnectedStreams<A, B> {
  constructor(
    readonly first: DataStream<A>,
    readonly second: DataStream<B>,
  ) {}

  /** Keys both inputs, so a KeyedCoProcessFunction sees the state of one key from both sides. */
  keyBy<K extends Key>(key1: KeySelector<A, K>, key2: KeySelector<B, K>): ConnectedStreams<A, B> {
    return new ConnectedStreams(this.first.keyBy(key1), this.second.keyBy(key2));
  }

  // Overloads rather than a union, so that an object literal's methods get their parameter types.
  process<R, K extends Key = Key>(fn: KeyedCoProcessFunction<K, A, B, R>): DataStream<R>;
  process<R>(fn: CoProcessFunction<A, B, R>): DataStream<R>;
  process<R, K extends Key = Key>(fn: KeyedCoProcessFunction<K, A, B, R> | CoProcessFunction<A, B, R>): DataStream<R> {
    const k1 = keySelectorOf(this.first as DataStream<unknown>);
    const k2 = keySelectorOf(this.second as DataStream<unknown>);
    if ((k1 === undefined) !== (k2 === undefined)) {
      throw new TypeError('connect: key both streams (keyBy on each, or ConnectedStreams.keyBy) or neither');
    }
    const keyed = k1 !== undefined && k2 !== undefined;
    const create = keyed
      ? () => new KeyedCoProcessOperator(k1, k2, perInstance(fn))
      : () => new CoProcessOperator(perInstance(fn));
    return this.first.transformTwoInput<B, R>(this.second, 'CoProcess', create, { keyed });
  }
}

/** A stream whose records reach every instance, carrying the broadcast state descriptors. */
export class BroadcastStream<T> {
  constructor(
    readonly stream: DataStream<T>,
    readonly descriptors: MapStateDescriptor<unknown, unknown>[],
  ) {}
}

export class BroadcastConnectedStream<A, B> {
  constructor(
    readonly input: DataStream<A>,
    readonly broadcast: BroadcastStream<B>,
  ) {}

  process<R, K extends Key = Key>(fn: KeyedBroadcastProcessFunction<K, A, B, R>): DataStream<R>;
  process<R>(fn: BroadcastProcessFunction<A, B, R>): DataStream<R>;
  process<R, K extends Key = Key>(
    fn: KeyedBroadcastProcessFunction<K, A, B, R> | BroadcastProcessFunction<A, B, R>,
  ): DataStream<R> {
    const selector = keySelectorOf(this.input as DataStream<unknown>);
    const declared = this.broadcast.descriptors.map((d) => d.name);
    const create = selector
      ? () => new KeyedBroadcastProcessOperator(selector, perInstance(fn), declared)
      : () => new BroadcastProcessOperator(perInstance(fn), declared);
    return this.input.transformTwoInput<B, R>(this.broadcast.stream, 'BroadcastProcess', create, {
      keyed: selector !== undefined,
    });
  }
}
