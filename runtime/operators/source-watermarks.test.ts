// Watermarks inside a source: one generator per split, the source's watermark
// is the minimum over its splits, and an idle split stops holding it back only
// when the strategy declares idleness.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ManualClock,
  StreamEnvironment,
  TumblingEventTimeWindows,
  forBoundedOutOfOrderness,
  forMonotonousTimestamps,
  type Source,
} from '../index.ts';
import { heldSource } from '../testing/held-source.ts';
import { queueSource } from '../testing/queue-source.ts';

interface Tick {
  split: string;
  ts: number;
}

/** Split "busy" emits ts 0, 10, ..., 1000, one record per poll; split "quiet" emits ts 0 once; then the job is held. */
function twoSplitSource() {
  return heldSource<Tick>(
    (output, poll) => {
      if (poll === 0) output.forSplit('quiet').collect({ split: 'quiet', ts: 0 });
      if (poll * 10 > 1000) return false;
      output.forSplit('busy').collect({ split: 'busy', ts: poll * 10 });
      return true;
    },
    ['busy', 'quiet'],
  );
}

async function firedWhileRunning(idlenessMs: number | undefined): Promise<number[]> {
  const clock = new ManualClock(0);
  const env = new StreamEnvironment().setProcessingTimeClock(clock).setAutoWatermarkInterval(100);
  const held = twoSplitSource();
  let strategy = forBoundedOutOfOrderness<Tick>(0).withTimestampAssigner((t) => t.ts);
  if (idlenessMs !== undefined) strategy = strategy.withIdleness(idlenessMs);
  const out = env
    .fromSource(held.source, strategy)
    .keyBy((t) => t.split)
    .window(TumblingEventTimeWindows.of(200))
    .count()
    .collect();
  const job = env.execute('split-watermarks');
  // Let the busy split emit everything, then tick processing time so periodic watermarks go out.
  for (let i = 0; i < 50; i++) await new Promise((resolve) => setTimeout(resolve, 2));
  for (let t = 100; t <= 2000; t += 100) {
    clock.advanceTo(t);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const firedBeforeEnd = [...out.values];
  held.release();
  await job;
  return firedBeforeEnd;
}

test('a split without records holds the source watermark back: no window fires before end of input', async () => {
  assert.deepEqual(await firedWhileRunning(undefined), []);
});

test('with idleness, the quiet split is ignored and the busy split alone advances the watermark', async () => {
  const fired = await firedWhileRunning(300);
  // Busy split: ts 0..1000 step 10, watermark 999 → windows [0,200) .. [600,800) are complete (20 records each),
  // plus the quiet split's single record in [0, 200).
  assert.deepEqual(
    fired.sort((a, b) => a - b),
    [1, 20, 20, 20, 20, 20],
  );
});

test('a source reader that was given no split (more readers than splits) does not hold event time back', async () => {
  const clock = new ManualClock(0);
  // Parallelism 2 over one split, and an enumerator that (like Kafka's) never says "no more splits":
  // the second reader waits for a split forever.
  const env = new StreamEnvironment().setParallelism(2).setProcessingTimeClock(clock).setAutoWatermarkInterval(10);
  const events = queueSource<number>();
  const continuous: Source<number> = {
    ...events.source,
    createEnumerator: (context) => ({
      start() {},
      addReader: (subtask) => subtask === 0 && context.assignSplits(0, [{ id: 'queue' }]),
      addSplitsBack() {},
      snapshotState: () => [],
    }),
  };
  const counts = env
    .fromSource(
      continuous,
      forMonotonousTimestamps<number>().withTimestampAssigner((t) => t),
    )
    .keyBy(() => 'all')
    .window(TumblingEventTimeWindows.of(100))
    .aggregate<number, number>({
      createAccumulator: () => 0,
      add: (_v, n) => n + 1,
      getResult: (n) => n,
      merge: (a, b) => a + b,
    })
    .collect();
  const abort = new AbortController();
  const job = env.execute('split-less-reader', { signal: abort.signal });
  events.push(5, 50, 99, 250);
  for (let i = 0; i < 500 && counts.values.length === 0; i++) {
    clock.advanceTo(clock.now() + 10);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  abort.abort();
  await assert.rejects(job, /cancelled/);
  assert.deepEqual(counts.values, [3], 'the window [0, 100) fired while the other reader had no split');
});
