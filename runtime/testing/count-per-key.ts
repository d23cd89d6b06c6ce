// Shared by the recovery tests: a keyed count that reports each key's total
// once, when event time ends, and the same count computed independently over
// the data generator's output.
import type { KeyedProcessFunction } from '../api/functions.ts';
import { SeededRandom, seedFor } from '../connectors/random.ts';
import { valueState } from '../state/descriptors.ts';
import type { ValueState } from '../state/state.ts';

/** A fresh KeyedProcessFunction counting records per key; emits [key, count] at the end of event time. */
export function countPerKeyAtEnd<T>(): KeyedProcessFunction<string, T, [string, number]> {
  const fn: KeyedProcessFunction<string, T, [string, number]> & { count?: ValueState<number> } = {
    open(ctx) {
      this.count = ctx.getState(valueState<number>('count'));
    },
    processElement(_value, ctx) {
      this.count!.update((this.count!.value() ?? 0) + 1);
      ctx.timerService().registerEventTimeTimer(Number.MAX_SAFE_INTEGER - 1);
    },
    onTimer(_timestamp, ctx, out) {
      out.collect([ctx.getCurrentKey(), this.count!.value()!]);
    },
  };
  return fn;
}

/** Records per key over records 0..count-1 of a data generator with `seed`, computed without the runtime. */
export function independentCounts<T>(
  seed: number,
  count: number,
  generate: (index: number, random: SeededRandom) => T,
  keyOf: (value: T) => string,
): Map<string, number> {
  const random = new SeededRandom();
  const counts = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const key = keyOf(generate(i, random.reset(seedFor(seed, i))));
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}
