// Backpressure: an unbounded, fast source feeding a deliberately slow
// asynchronous sink runs only as far ahead as the channels can hold, at every
// moment, and the job can be cancelled while it waits.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JobCancelledError, StreamEnvironment, type Sink } from '../index.ts';
import { DEFAULT_BATCH_SIZE } from './record-writer.ts';
import { SOURCE_BATCH_SIZE } from './task.ts';

for (const [parallelism, capacity] of [
  [1, 1],
  [2, 2],
  [3, 4],
] as const) {
  test(`with an unbounded source and a slow async sink (parallelism ${parallelism}, channel capacity ${capacity}), records emitted but not yet written stay below channels × capacity × batch size at every write`, async () => {
    const target = 15_000;
    // Between two tasks of parallelism p there are p × p channels. A source checks for room before each
    // poll of at most SOURCE_BATCH_SIZE records; the sink holds at most the one batch it is writing.
    assert.ok(SOURCE_BATCH_SIZE <= DEFAULT_BATCH_SIZE, 'a poll adds at most one batch per channel');
    const channels = parallelism * parallelism;
    const bound = channels * capacity * DEFAULT_BATCH_SIZE + DEFAULT_BATCH_SIZE;

    let emitted = 0;
    let written = 0;
    let maxInFlight = 0;
    const violations: string[] = [];
    const cancel = new AbortController();
    const safety = setTimeout(() => cancel.abort(), 4000);
    const slowSink: Sink<number> = {
      createWriter: () => ({
        write() {
          written++;
          const inFlight = emitted - written;
          maxInFlight = Math.max(maxInFlight, inFlight);
          if (inFlight >= bound) violations.push(`${inFlight} in flight after ${written} writes`);
          if (written === target) cancel.abort();
          return new Promise<void>((resolve) => setTimeout(resolve, 1));
        },
      }),
    };
    const env = new StreamEnvironment().setParallelism(parallelism).setChannelCapacity(capacity);
    env
      .fromGenerator({ generate: (i) => i }) // unbounded
      .map((i) => {
        emitted++;
        return i;
      })
      .keyBy((i) => i % 101)
      .sinkTo(slowSink);
    const started = Date.now();
    await assert.rejects(env.execute('backpressure', { signal: cancel.signal }), JobCancelledError);
    clearTimeout(safety);

    assert.ok(written >= target, `the sink wrote ${written} records before the safety timeout`);
    assert.deepEqual(violations.slice(0, 5), [], `bound ${bound}`);
    assert.ok(maxInFlight >= DEFAULT_BATCH_SIZE - 1, `the sink was behind by a batch or more (${maxInFlight})`);
    assert.ok(emitted - written < bound, 'the source stopped within the bound of the sink when cancelled');
    assert.ok(Date.now() - started < 4000);
  });
}
