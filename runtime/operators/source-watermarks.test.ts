// Watermarks inside a source: one generator per split, the source's watermark
// is the minimum over its splits, and an idle split stops holding it back only
// when the strategy declares idleness.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock, StreamEnvironment, TumblingEventTimeWindows, forBoundedOutOfOrderness } from '../index.ts';
import { heldSource } from '../testing/held-source.ts';

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
