// A failing user function fails the job with a message naming the operator,
// the key and the original error, which stays reachable as the cause.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JobExecutionError, StreamEnvironment, UserFunctionError, type KeyedProcessFunction } from '../index.ts';

test('an exception in a keyed process function fails the job naming the operator, the key, the record and the error', async () => {
  const env = new StreamEnvironment().setParallelism(2);
  const failing: KeyedProcessFunction<string, { user: string; n: number }, number> = {
    processElement(event, _ctx, out) {
      if (event.n === 37) throw new RangeError('n must not be 37');
      out.collect(event.n);
    },
  };
  env
    .fromGenerator({ count: 100, generate: (n) => ({ user: `user-${n % 5}`, n }) })
    .keyBy((e) => e.user)
    .process(failing)
    .name('score-events')
    .collect();
  await assert.rejects(env.execute('failing'), (error: unknown) => {
    assert.ok(error instanceof JobExecutionError);
    assert.equal(error.code, 'BROOK_JOB_FAILED');
    assert.match(
      error.message,
      /operator 'score-events' failed for key 'user-2' on record \{ user: 'user-2', n: 37 \}: n must not be 37/,
    );
    assert.ok(error.cause instanceof UserFunctionError);
    assert.equal(error.cause.operatorName, 'score-events');
    assert.equal(error.cause.key, 'user-2');
    assert.ok(error.cause.cause instanceof RangeError);
    return true;
  });
});

test('an exception in onTimer names the operator and the key of the timer', async () => {
  const env = new StreamEnvironment();
  const fn: KeyedProcessFunction<string, { user: string; at: number }, never> = {
    processElement(e, ctx) {
      ctx.timerService().registerEventTimeTimer(e.at + 10);
    },
    onTimer() {
      throw new Error('timer broke');
    },
  };
  env
    .fromCollection([{ user: 'ada', at: 1 }])
    .assignTimestampsAndWatermarks(
      (await import('../time/watermark-strategy.ts'))
        .forMonotonousTimestamps<{ user: string; at: number }>()
        .withTimestampAssigner((e) => e.at),
    )
    .keyBy((e) => e.user)
    .process(fn)
    .name('alarm')
    .collect();
  await assert.rejects(
    env.execute('timer-failure'),
    /operator 'alarm' failed for key 'ada' while firing timers .*timer broke/,
  );
});

test('a key selector returning an invalid key fails with a message saying what a key may be', async () => {
  const env = new StreamEnvironment();
  env
    .fromCollection([{ id: 1 }])
    .keyBy((e) => ({ nested: e.id }) as unknown as string)
    .process({ processElement() {} })
    .name('bad-key')
    .collect();
  await assert.rejects(
    env.execute('bad-key'),
    /keyBy key selector returned an invalid key: a key must be a string, number, bigint, boolean or an array of those; got object/,
  );
});

for (const [what, key] of [
  ['NaN', Number.NaN],
  ['a tuple holding NaN', ['a', Number.NaN]],
] as const) {
  test(`a key selector returning ${what} is refused by name (NaN is never equal to itself, so it cannot key state)`, async () => {
    const env = new StreamEnvironment();
    env
      .fromCollection([1])
      .keyBy(() => key as unknown as string)
      .process({ processElement() {} })
      .collect();
    await assert.rejects(env.execute('nan-key'), /a key must not (be|contain) NaN/);
  });
}
