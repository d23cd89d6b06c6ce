// Backpressure: a slow sink slows the source, so the records in flight stay
// within what the channels can hold, however fast the source could go.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StreamEnvironment, type Sink } from '../index.ts';
import { DEFAULT_BATCH_SIZE } from './record-writer.ts';
import { SOURCE_BATCH_SIZE } from './task.ts';

test('with a deliberately slow sink, records emitted but not yet written never exceed the channel capacity', async () => {
  const capacity = 2;
  const parallelism = 2;
  const env = new StreamEnvironment().setParallelism(parallelism).setChannelCapacity(capacity);
  let emitted = 0;
  let written = 0;
  let maxInFlight = 0;
  const slowSink: Sink<number> = {
    createWriter: () => ({
      async write() {
        written++;
        maxInFlight = Math.max(maxInFlight, emitted - written);
        if (written % 256 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
      },
    }),
  };
  env
    .fromGenerator({ count: 60_000, generate: (i) => i })
    .map((i) => {
      emitted++;
      return i;
    })
    .keyBy((i) => i % 1000)
    .map((i) => i)
    .sinkTo(slowSink);
  await env.execute('slow-sink');
  assert.equal(written, 60_000);
  // Per consumer: `capacity` queued batches per channel from each producer, one batch being processed,
  // plus what each producer has buffered or is emitting in its current poll.
  const bound =
    parallelism * (parallelism * capacity * DEFAULT_BATCH_SIZE + DEFAULT_BATCH_SIZE) +
    parallelism * 2 * SOURCE_BATCH_SIZE;
  assert.ok(maxInFlight <= bound, `in flight reached ${maxInFlight}, bound ${bound}`);
  assert.ok(maxInFlight < 60_000 / 4, 'the source did not run far ahead of the sink');
});
