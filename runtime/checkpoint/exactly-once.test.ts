// Exactly-once state under failure: a keyed count over a generated input, with
// a user function that throws once at a random record, restarted by the
// restart strategy from the latest checkpoint. The final per-key counts must
// equal an independent count of the input: nothing lost, nothing counted twice.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  StreamEnvironment,
  forMonotonousTimestamps,
  valueState,
  type Collector,
  type KeyedProcessContext,
  type OnTimerContext,
  type RuntimeContext,
  type ValueState,
} from '../index.ts';
import { SeededRandom } from '../connectors/random.ts';
import { countPerKeyAtEnd, independentCounts } from '../testing/count-per-key.ts';

const root = mkdtempSync(join(tmpdir(), 'brook-exactly-once-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface Event {
  user: string;
  seq: number;
}

const RECORDS = 6000;

/** The newest completed checkpoint of job 'exactly-once' under `directory`, read synchronously (the map function asks). */
function newestCheckpoint(directory: string): number {
  const jobDirectory = join(directory, 'exactly-once');
  if (!existsSync(jobDirectory)) return 0;
  const ids = readdirSync(jobDirectory)
    .filter((d) => existsSync(join(jobDirectory, d, '_metadata')))
    .map((d) => Number(d.replace('chk-', '')));
  return Math.max(0, ...ids);
}
const generate = (i: number, random: SeededRandom): Event => ({ user: `user-${random.int(0, 30)}`, seq: i });

for (const [seed, backend] of [
  [1, 'heap'],
  [2, 'heap'],
  [3, 'heap'],
  [4, 'lmdb'],
] as const) {
  for (const parallelism of [1, 3]) {
    test(`a failure at a random record (seed ${seed}, parallelism ${parallelism}, ${backend} state) is recovered from a checkpoint with every count exact`, async () => {
      const failAt = new SeededRandom().reset(seed * 7919).int(RECORDS / 4, (RECORDS * 3) / 4);
      const directory = join(root, `seed-${seed}-p${parallelism}`);
      let failed = false;
      let seenAfterRestart = 0;
      const env = new StreamEnvironment()
        .setParallelism(parallelism)
        .enableCheckpointing(20)
        .setCheckpointStorage(`file://${directory}`)
        .setRestartStrategy({ kind: 'fixed-delay', attempts: 3, delayMs: 10 })
        .setStateBackend(backend === 'lmdb' ? { kind: 'lmdb', directory: join(root, 'lmdb') } : { kind: 'heap' });
      const out = env
        .fromGenerator(
          { count: RECORDS, seed, generate, recordsPerSecond: 6_000 },
          forMonotonousTimestamps<Event>().withTimestampAssigner((e) => e.seq),
        )
        .map((e) => {
          if (failed) seenAfterRestart++;
          // Fails once, at the first record from failAt on after a checkpoint completed, so the
          // restart has a checkpoint to resume from however slow the machine is.
          if (e.seq >= failAt && !failed && newestCheckpoint(directory) >= 1) {
            failed = true;
            throw new Error(`injected failure at record ${e.seq}`);
          }
          return e;
        })
        .keyBy((e) => e.user)
        .process(countPerKeyAtEnd<Event>())
        .uid('count-per-user')
        .collect();
      const restarts: unknown[] = [];
      const result = await env.execute('exactly-once', {
        jobId: 'exactly-once',
        onRestart: (failure) => restarts.push(failure),
      });

      const expected = independentCounts(seed, RECORDS, generate, (e) => e.user);
      assert.ok(failed, 'the failure was injected');
      // Resumed from a checkpoint, not from the start: the records before it were not read again.
      assert.ok(seenAfterRestart < RECORDS, `read ${seenAfterRestart} records after the restart`);
      assert.equal(result.restarts, 1);
      assert.equal(restarts.length, 1);
      assert.deepEqual(new Map(out.values), expected);
      assert.equal(out.values.length, expected.size, 'each user reported once');
    });
  }
}

test('when the restart strategy gives up, the job fails with the root cause and the reason', async () => {
  const env = new StreamEnvironment()
    .enableCheckpointing(20)
    .setCheckpointStorage(`file://${root}/gives-up`)
    .setRestartStrategy({ kind: 'fixed-delay', attempts: 2, delayMs: 5 });
  env
    .fromGenerator({ count: 1000, generate: (i) => i })
    .map((i) => {
      if (i === 500) throw new Error('always broken');
      return i;
    })
    .name('broken')
    .collect();
  await assert.rejects(
    env.execute('gives-up'),
    /operator 'broken' failed on record 500: always broken \(not restarted: fixed-delay restart strategy exhausted its 2 attempts\)/,
  );
});

for (const mode of ['exactly-once', 'at-least-once'] as const) {
  test(`a two-input keyed operator recovers from a failure in ${mode} mode: ${mode === 'exactly-once' ? 'every count exact' : 'nothing lost'}`, async () => {
    let failed = false;
    const env = new StreamEnvironment()
      .setParallelism(2)
      .enableCheckpointing(20, { mode })
      .setCheckpointStorage(`file://${root}/two-input-${mode}`)
      .setRestartStrategy({ kind: 'fixed-delay', attempts: 2, delayMs: 10 });
    const events = (seed: number) =>
      env.fromGenerator(
        { count: RECORDS, seed, generate, recordsPerSecond: 15_000 },
        forMonotonousTimestamps<Event>().withTimestampAssigner((e) => e.seq),
      );
    const counts = new Map<string, number>();
    const countBoth = {
      count: undefined as ValueState<number> | undefined,
      open(ctx: RuntimeContext) {
        this.count = ctx.getState(valueState<number>('count'));
      },
      add(ctx: KeyedProcessContext<string>) {
        this.count!.update((this.count!.value() ?? 0) + 1);
        ctx.timerService().registerEventTimeTimer(Number.MAX_SAFE_INTEGER - 1);
      },
      processElement1(e: Event, ctx: KeyedProcessContext<string>) {
        if (e.seq === RECORDS / 2 && !failed) {
          failed = true;
          throw new Error('injected failure');
        }
        this.add(ctx);
      },
      processElement2(_e: Event, ctx: KeyedProcessContext<string>) {
        this.add(ctx);
      },
      onTimer(_t: number, ctx: OnTimerContext<string>, out: Collector<[string, number]>) {
        out.collect([ctx.getCurrentKey(), this.count!.value()!]);
      },
    };
    const out = events(21)
      .uid('first')
      .connect(events(22).uid('second'))
      .keyBy(
        (e) => e.user,
        (e) => e.user,
      )
      .process<[string, number], string>(countBoth)
      .uid('count-both')
      .collect();
    const result = await env.execute(`two-input-${mode}`);
    assert.equal(result.restarts, 1);
    for (const [key, n] of out.values) counts.set(key, n);
    const expected = independentCounts(21, RECORDS, generate, (e) => e.user);
    for (const [key, n] of independentCounts(22, RECORDS, generate, (e) => e.user)) {
      expected.set(key, (expected.get(key) ?? 0) + n);
    }
    if (mode === 'exactly-once') assert.deepEqual(counts, expected);
    else for (const [key, n] of expected) assert.ok(counts.get(key)! >= n, `${key}: ${counts.get(key)} < ${n}`);
  });
}
