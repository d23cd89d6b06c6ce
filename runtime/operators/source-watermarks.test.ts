// Watermarks inside a source: one generator per split, the source's watermark
// is the minimum over its splits, and an idle split stops holding it back only
// when the strategy declares idleness.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock, StreamEnvironment, TumblingEventTimeWindows, forBoundedOutOfOrderness } from '../index.ts';
import { staticSplitEnumerator, type Source, type SourceSplit } from '../connectors/source.ts';

interface Tick {
  split: string;
  ts: number;
}

/** Split "busy" emits ts 0, 10, 20, ... one record per poll; split "quiet" emits ts 0 once. Held open until released. */
function twoSplitSource(control: { released: boolean; busyUpTo: number }): Source<Tick> {
  return {
    boundedness: 'bounded',
    createEnumerator: (context) => staticSplitEnumerator<SourceSplit>(context, [{ id: 'busy' }, { id: 'quiet' }]),
    createReader: () => {
      let next = 0;
      let quietSent = false;
      return {
        addSplits() {},
        notifyNoMoreSplits() {},
        pollNext(output) {
          if (!quietSent) {
            quietSent = true;
            output.forSplit('quiet').collect({ split: 'quiet', ts: 0 });
          }
          if (next <= control.busyUpTo) {
            output.forSplit('busy').collect({ split: 'busy', ts: next });
            next += 10;
            return 'more';
          }
          return control.released ? 'end' : 'nothing';
        },
        isAvailable: () => new Promise((resolve) => setTimeout(resolve, 2)),
        snapshotState: () => [],
      };
    },
  };
}

async function firedWhileRunning(idlenessMs: number | undefined): Promise<number[]> {
  const clock = new ManualClock(0);
  const env = new StreamEnvironment().setProcessingTimeClock(clock).setAutoWatermarkInterval(100);
  const control = { released: false, busyUpTo: 1000 };
  let strategy = forBoundedOutOfOrderness<Tick>(0).withTimestampAssigner((t) => t.ts);
  if (idlenessMs !== undefined) strategy = strategy.withIdleness(idlenessMs);
  const out = env
    .fromSource(twoSplitSource(control), strategy)
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
  control.released = true;
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
