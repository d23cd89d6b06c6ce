// The job graph chains operators joined by forward edges of equal parallelism
// and breaks chains at every repartition; bounded jobs finish with every record
// and every pending timer accounted for.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  JobCancelledError,
  OutputTag,
  StreamEnvironment,
  forMonotonousTimestamps,
  mapState,
  valueState,
  type KeyedProcessFunction,
  type ValueState,
} from '../index.ts';
import { queueSource } from '../testing/queue-source.ts';
import { waitUntil } from '../testing/wait-until.ts';

const names = (env: StreamEnvironment) => env.getJobGraph().vertices.map((v) => v.nodes.map((n) => n.name));

test('map and filter chain after the source; keyBy breaks the chain; a sink chains after the keyed operator', () => {
  const env = new StreamEnvironment().setParallelism(4);
  env
    .fromGenerator({ count: 10, generate: (i) => i })
    .name('numbers')
    .map((i) => i * 2)
    .name('double')
    .filter((i) => i % 3 !== 0)
    .name('drop-threes')
    .flatMap<number>((i, out) => out.collect(i))
    .name('explode')
    .keyBy((i) => i % 5)
    .process<number>({ processElement: (i, _ctx, out) => out.collect(i) })
    .name('per-key')
    .map((i) => i)
    .name('after-key')
    .sinkTo({ createWriter: () => ({ write() {} }) }, 'sink');
  const graph = env.getJobGraph();
  assert.deepEqual(names(env), [
    ['numbers', 'double', 'drop-threes', 'explode'],
    ['per-key', 'after-key', 'sink'],
  ]);
  assert.deepEqual(
    graph.vertices.map((v) => v.parallelism),
    [4, 4],
  );
  const network = graph.edges.filter((e) => graph.vertexOf.get(e.source) !== graph.vertexOf.get(e.target));
  assert.deepEqual(
    network.map((e) => [e.source.name, e.target.name, e.partitioning.kind]),
    [['explode', 'per-key', 'hash']],
  );
});

test('rebalance, broadcast, a change of parallelism, union and two-input operators each start a new task', () => {
  const env = new StreamEnvironment().setParallelism(2);
  const source = env.fromGenerator({ count: 10, generate: (i) => i }).name('source');
  source
    .rebalance()
    .map((i) => i)
    .name('after-rebalance')
    .map((i) => i)
    .name('narrow')
    .setParallelism(1)
    .map((i) => i)
    .name('still-narrow')
    .setParallelism(1)
    .union(source.map((i) => i).name('side-branch'))
    .map((i) => i)
    .name('after-union')
    .connect(source.broadcast(mapState<string, number>('b')))
    .process<number>({ processElement() {}, processBroadcastElement() {} })
    .name('two-input')
    .print();
  assert.deepEqual(names(env), [
    ['source', 'side-branch'],
    ['after-rebalance'],
    ['narrow', 'still-narrow'],
    ['after-union'],
    ['two-input', 'Print'],
  ]);
});

test('a side output consumer of equal parallelism chains after its producer', () => {
  const env = new StreamEnvironment().setParallelism(3);
  const tag = new OutputTag<number>('odd');
  const processed = env
    .fromGenerator({ count: 10, generate: (i) => i })
    .name('source')
    .process<number>({ processElement: (i, ctx, out) => (i % 2 ? ctx.output(tag, i) : out.collect(i)) })
    .name('split');
  processed
    .getSideOutput(tag)
    .map((i) => i)
    .name('odd-consumer')
    .print();
  processed
    .keyBy((i) => i)
    .map((i) => i)
    .name('even-consumer')
    .print();
  assert.deepEqual(names(env), [
    ['source', 'split', 'odd-consumer', 'Print'],
    ['even-consumer', 'Print'],
  ]);
});

test('a bounded job finishes with every record, firing pending event-time and processing-time timers at end of input', async () => {
  const env = new StreamEnvironment().setParallelism(3);
  // An hour from now on the system clock: only the end of input can fire it.
  const inAnHour = Date.now() + 3_600_000;
  const counter: KeyedProcessFunction<number, { key: number; at: number }, string> & { count?: ValueState<number> } = {
    open(ctx) {
      this.count = ctx.getState(valueState<number>('count'));
    },
    processElement(e, ctx) {
      this.count!.update((this.count!.value() ?? 0) + 1);
      ctx.timerService().registerEventTimeTimer(1_000_000);
      ctx.timerService().registerProcessingTimeTimer(inAnHour);
    },
    onTimer(_timestamp, ctx, out) {
      out.collect(`${ctx.timeDomain()}:${ctx.getCurrentKey()}:${this.count!.value()}`);
    },
  };
  const events = Array.from({ length: 3000 }, (_, i) => ({ key: i % 20, at: i }));
  const out = env
    .fromGenerator(
      { count: events.length, generate: (i) => events[i]! },
      forMonotonousTimestamps<{ key: number; at: number }>().withTimestampAssigner((e) => e.at),
    )
    .keyBy((e) => e.key)
    .process(counter)
    .collect();
  const started = Date.now();
  const result = await env.execute('bounded');
  assert.ok(Date.now() - started < 3000, 'finished without waiting for the processing-time timers');
  assert.equal(result.jobName, 'bounded');
  const expected = Array.from({ length: 20 }, (_, key) => [
    `event-time:${key}:150`,
    `processing-time:${key}:150`,
  ]).flat();
  assert.deepEqual(out.values.sort(), expected.sort());
});

test('aborting the signal cancels a running job whose source is idle, with BROOK_JOB_CANCELLED', async () => {
  const env = new StreamEnvironment().setParallelism(2);
  const feed = queueSource<number>();
  const processed = { count: 0 };
  env
    .fromSource(feed.source)
    .setParallelism(1)
    .keyBy((n) => n % 3)
    .process<never>({
      processElement() {
        processed.count++;
      },
    })
    .collect();
  const abort = new AbortController();
  const job = env.execute('cancel-idle', { signal: abort.signal });
  feed.push(1, 2, 3);
  await waitUntil(() => processed.count === 3, 'the records are processed');
  const started = Date.now();
  abort.abort();
  await assert.rejects(
    job,
    (error: unknown) => error instanceof JobCancelledError && error.code === 'BROOK_JOB_CANCELLED',
  );
  assert.ok(Date.now() - started < 1000);
});
