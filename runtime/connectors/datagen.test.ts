// The data generator's splits and event time: every split a reader holds counts
// toward the source's watermark from the start, so no record of a split that has
// not emitted yet arrives behind the watermark.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock, StreamEnvironment, forMonotonousTimestamps } from '../index.ts';

test('with several splits per reader and periodic watermarks between polls, no generated record is behind the watermark', async () => {
  const clock = new ManualClock(0);
  const env = new StreamEnvironment().setProcessingTimeClock(clock).setAutoWatermarkInterval(10);
  const count = 400;
  let late = 0;
  let seen = 0;
  // 1000 records/s on the manual clock: each 10 ms step lets the reader emit 10 records, all from one split.
  env
    .fromGenerator(
      { count, recordsPerSecond: 1000, splits: 4, generate: (i) => i },
      forMonotonousTimestamps<number>().withTimestampAssigner((i) => i),
    )
    .keyBy((i) => i % 8)
    .process<never>({
      processElement(_i, ctx) {
        seen++;
        if (ctx.timestamp()! <= ctx.timerService().currentWatermark()) late++;
      },
    })
    .collect();
  const job = env.execute('split-watermarks');
  for (let t = 10; seen < count && t <= 2 * count; t += 10) {
    clock.advanceTo(t);
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await job;
  assert.equal(seen, count);
  assert.equal(late, 0, 'records arrived behind the watermark');
});
