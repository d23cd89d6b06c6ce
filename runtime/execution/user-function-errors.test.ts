// A throwing user function fails the job with BROOK_JOB_FAILED wrapping a
// UserFunctionError that names the operator, the key (where there is one), the
// record or moment, and keeps the original error as its cause.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  JobExecutionError,
  ManualClock,
  StreamEnvironment,
  UserFunctionError,
  forMonotonousTimestamps,
  mapState,
  valueState,
  type Key,
  type KeyedBroadcastProcessFunction,
  type Sink,
  type ValueState,
} from '../index.ts';
import { queueSource } from '../testing/queue-source.ts';
import { waitUntil } from '../testing/wait-until.ts';

/** Asserts the failure chain JobExecutionError → UserFunctionError → `original`, and returns the middle link. */
function userFailure(error: unknown, original?: unknown): UserFunctionError {
  assert.ok(error instanceof JobExecutionError, `a JobExecutionError, got ${String(error)}`);
  assert.equal(error.code, 'BROOK_JOB_FAILED');
  assert.ok(error.cause instanceof UserFunctionError, 'caused by a UserFunctionError');
  assert.equal(error.cause.code, 'BROOK_USER_FUNCTION_FAILED');
  if (original !== undefined) assert.equal(error.cause.cause, original, 'the original error is kept as the cause');
  return error.cause;
}

test('a map that throws on one record fails the job naming the operator, the record and the error', async () => {
  const thrown = new SyntaxError('unexpected token in "x42"');
  const env = new StreamEnvironment().setParallelism(2);
  env
    .fromGenerator({ count: 1000, generate: (i) => `x${i}` })
    .map((s) => {
      if (s === 'x42') throw thrown;
      return s.length;
    })
    .name('parse')
    .collect();
  await assert.rejects(env.execute('map-failure'), (error: unknown) => {
    const failure = userFailure(error, thrown);
    assert.equal(failure.operatorName, 'parse');
    assert.equal(failure.key, undefined, 'a map on a non-keyed stream has no key');
    assert.match(
      (error as Error).message,
      /^job 'map-failure' failed: operator 'parse' failed on record 'x42': unexpected token in "x42"/,
    );
    return true;
  });
});

test('a keyed process function that throws names its operator and the key of the record, for number and tuple keys', async () => {
  const cases: [keyOf: (n: number) => Key, keyText: string][] = [
    [(n) => n % 10, '7'],
    [(n) => ['eu', n % 10], "\\[ 'eu', 7 \\]"],
  ];
  for (const [keyOf, keyText] of cases) {
    const env = new StreamEnvironment().setParallelism(3);
    const thrown = new RangeError('amount out of range');
    env
      .fromGenerator({ count: 500, generate: (i) => i })
      .keyBy(keyOf)
      .process<number>({
        processElement(n, _ctx, out) {
          if (n === 137) throw thrown;
          out.collect(n);
        },
      })
      .name('score')
      .collect();
    await assert.rejects(env.execute('keyed-failure'), (error: unknown) => {
      const failure = userFailure(error, thrown);
      assert.equal(failure.operatorName, 'score');
      assert.deepEqual(failure.key, keyOf(137));
      assert.match(
        failure.message,
        new RegExp(`^operator 'score' failed for key ${keyText} on record 137: amount out of range$`),
      );
      return true;
    });
  }
});

test('a processing-time timer that throws names the operator and the key of the timer', async () => {
  const clock = new ManualClock(0);
  const env = new StreamEnvironment().setProcessingTimeClock(clock);
  const feed = queueSource<string>();
  const processed = { count: 0 };
  env
    .fromSource(feed.source)
    .keyBy((s) => s)
    .process<never>({
      processElement(_s, ctx) {
        ctx.timerService().registerProcessingTimeTimer(100);
        processed.count++;
      },
      onTimer() {
        throw new Error('alarm failed');
      },
    })
    .name('alarm')
    .collect();
  const job = env.execute('timer-failure');
  feed.push('sensor-9');
  await waitUntil(() => processed.count === 1, 'the record is processed');
  clock.advanceTo(100);
  await assert.rejects(job, (error: unknown) => {
    const failure = userFailure(error);
    assert.equal(failure.key, 'sensor-9');
    assert.match(
      failure.message,
      /^operator 'alarm' failed for key 'sensor-9' in a processing-time timer: alarm failed$/,
    );
    return true;
  });
});

/**
 * Runs `fn` as 'apply-rules' on a keyed stream connected with a broadcast stream: sends the keyed
 * record 'user-1', waits until `processed` counts it, then sends the broadcast element `rule`.
 */
async function keyedThenBroadcast(
  jobName: string,
  fn: KeyedBroadcastProcessFunction<string, string, string, never>,
  processed: { count: number },
  rule: string,
) {
  const rulesDescriptor = mapState<string, number>('rules');
  const env = new StreamEnvironment();
  const events = queueSource<string>();
  const rules = queueSource<string>();
  env
    .fromSource(events.source)
    .keyBy((e) => e)
    .connect(env.fromSource(rules.source).broadcast(rulesDescriptor))
    .process(fn)
    .name('apply-rules')
    .collect();
  const job = env.execute(jobName);
  events.push('user-1');
  await waitUntil(() => processed.count === 1, 'the keyed record is processed');
  rules.push(rule);
  return job;
}

test('a failing processBroadcastElement is not blamed on the key of an earlier keyed record', async () => {
  const processed = { count: 0 };
  const fn: KeyedBroadcastProcessFunction<string, string, string, never> = {
    processElement() {
      processed.count++;
    },
    processBroadcastElement(rule) {
      throw new TypeError(`rule ${rule} is malformed`);
    },
  };
  await assert.rejects(keyedThenBroadcast('broadcast-failure', fn, processed, 'max<'), (error: unknown) => {
    const failure = userFailure(error);
    assert.equal(failure.key, undefined);
    assert.match(failure.message, /^operator 'apply-rules' failed on record 'max<': rule max< is malformed$/);
    return true;
  });
});

test('keyed state used in processBroadcastElement fails with BROOK_NO_CURRENT_KEY instead of using the last key', async () => {
  const processed = { count: 0 };
  const fn: KeyedBroadcastProcessFunction<string, string, string, never> & { seen?: ValueState<number> } = {
    open(ctx) {
      this.seen = ctx.getState(valueState<number>('seen'));
    },
    processElement() {
      this.seen!.update(1);
      processed.count++;
    },
    processBroadcastElement() {
      this.seen!.update(2);
    },
  };
  await assert.rejects(keyedThenBroadcast('broadcast-keyed-state', fn, processed, 'rule'), (error: unknown) => {
    const failure = userFailure(error);
    assert.equal((failure.cause as { code?: string }).code, 'BROOK_NO_CURRENT_KEY');
    assert.match(failure.message, /no current key \(such as processBroadcastElement\)/);
    return true;
  });
});

test('an exception in open() or close() fails the job naming the operator and the phase', async () => {
  for (const phase of ['open', 'close'] as const) {
    const thrown = new Error(`cannot ${phase} the connection`);
    const env = new StreamEnvironment();
    env
      .fromCollection([1, 2, 3])
      .process<number>({
        [phase]: () => {
          throw thrown;
        },
        processElement(n, _ctx, out) {
          out.collect(n);
        },
      })
      .name('enrich')
      .collect();
    await assert.rejects(env.execute(`${phase}-failure`), (error: unknown) => {
      const failure = userFailure(error, thrown);
      assert.match(
        failure.message,
        new RegExp(
          `^operator 'enrich' failed while ${phase === 'open' ? 'opening' : 'closing'}: cannot ${phase} the connection$`,
        ),
      );
      return true;
    });
  }
});

test('an asynchronous sink write that rejects fails the job naming the sink', async () => {
  const thrown = new Error('disk full');
  const sink: Sink<number> = {
    createWriter: () => ({
      write: (n) => (n === 300 ? Promise.reject(thrown) : Promise.resolve()),
    }),
  };
  const env = new StreamEnvironment();
  env.fromGenerator({ count: 1000, generate: (i) => i }).sinkTo(sink, 'archive');
  await assert.rejects(env.execute('sink-failure'), (error: unknown) => {
    const failure = userFailure(error, thrown);
    assert.equal(failure.operatorName, 'archive');
    assert.match(failure.message, /^operator 'archive' failed while writing: disk full$/);
    return true;
  });
});

test('a failure caused by the last record of a source that then goes idle still fails the job promptly', async () => {
  const env = new StreamEnvironment().setParallelism(2);
  const feed = queueSource<string>();
  env
    .fromSource(feed.source)
    .setParallelism(1)
    .rebalance()
    .map((s) => {
      if (s === 'poison') throw new Error('cannot digest poison');
      return s;
    })
    .name('digest')
    .collect();
  const job = env.execute('idle-source-failure');
  const started = Date.now();
  feed.push('bread', 'poison'); // and nothing more: the source stays idle
  const safety = setTimeout(() => feed.end(), 3000);
  await assert.rejects(job, /operator 'digest' failed on record 'poison': cannot digest poison/);
  clearTimeout(safety);
  assert.ok(Date.now() - started < 1000, `failed after ${Date.now() - started} ms, not when the source went idle`);
});

test('a timer that throws when an idle input lets the watermark advance names the operator and the key', async () => {
  interface Ev {
    key: string;
    at: number;
  }
  const clock = new ManualClock(0);
  const env = new StreamEnvironment().setProcessingTimeClock(clock).setAutoWatermarkInterval(10);
  const strategy = forMonotonousTimestamps<Ev>()
    .withTimestampAssigner((e) => e.at)
    .withIdleness(30);
  const left = queueSource<Ev>();
  const right = queueSource<Ev>();
  const processed = { count: 0 };
  env
    .fromSource(left.source, strategy)
    .connect(env.fromSource(right.source, strategy))
    .keyBy(
      (e) => e.key,
      (e) => e.key,
    )
    .process<never, string>({
      processElement1(e, ctx) {
        ctx.timerService().registerEventTimeTimer(e.at + 50);
        processed.count++;
      },
      processElement2() {
        processed.count++;
      },
      onTimer() {
        throw new Error('reminder failed');
      },
    })
    .name('reminders')
    .collect();
  let failure: unknown;
  const job = env.execute('idle-input-timer').catch((error: unknown) => void (failure = error));
  left.push({ key: 'order-1', at: 0 });
  right.push({ key: 'order-2', at: 0 });
  await waitUntil(() => processed.count === 2 || failure !== undefined, 'both records are processed');
  const safety = setTimeout(() => (left.end(), right.end()), 3000);
  // The left input keeps moving; the right one goes quiet and, after 30 ms of idleness, stops holding time back.
  for (let t = 10; t <= 100 && failure === undefined; t += 10) {
    left.push({ key: 'order-1', at: t * 10 });
    clock.advanceTo(t);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await job;
  assert.match(
    userFailure(failure).message,
    /^operator 'reminders' failed for key 'order-1' while firing timers at watermark \d+: reminder failed$/,
  );
  clearTimeout(safety);
});
