// Checkpoints and savepoints on real S3 (testenv's server): a failure is
// recovered from an S3 checkpoint with exact counts, and a savepoint written to
// S3 at parallelism 2 restores at parallelism 3.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { CreateBucketCommand, DeleteBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { endpoints, ensureServices } from '../../scripts/testenv/index.ts';
import { JobControl } from '../execution/job-control.ts';
import {
  StreamEnvironment,
  forMonotonousTimestamps,
  valueState,
  type KeyedProcessFunction,
  type ValueState,
} from '../index.ts';
import { SeededRandom, seedFor } from '../connectors/random.ts';
import { openCheckpointStorage } from './storage.ts';

const bucket = `brook-recovery-${randomUUID()}`;

before(async () => {
  await ensureServices('s3');
  const client = new S3Client(endpoints.s3);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
});

after(async () => {
  await (await openCheckpointStorage(`s3://${bucket}`, endpoints.s3)).deleteAll('');
  const client = new S3Client(endpoints.s3);
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
  client.destroy();
});

interface Event {
  user: string;
  seq: number;
}

const RECORDS = 4000;
const generate = (i: number, r: SeededRandom): Event => ({ user: `user-${r.int(0, 20)}`, seq: i });

const countPerUser: KeyedProcessFunction<string, Event, [string, number]> & { count?: ValueState<number> } = {
  open(ctx) {
    this.count = ctx.getState(valueState<number>('count'));
  },
  processElement(_e, ctx) {
    this.count!.update((this.count!.value() ?? 0) + 1);
    ctx.timerService().registerEventTimeTimer(Number.MAX_SAFE_INTEGER - 1);
  },
  onTimer(_t, ctx, out) {
    out.collect([ctx.getCurrentKey(), this.count!.value()!]);
  },
};

function expectedCounts(): Map<string, number> {
  const random = new SeededRandom();
  const counts = new Map<string, number>();
  for (let i = 0; i < RECORDS; i++) {
    const { user } = generate(i, random.reset(seedFor(9, i)));
    counts.set(user, (counts.get(user) ?? 0) + 1);
  }
  return counts;
}

function build(parallelism: number, recordsPerSecond: number | undefined, failAt?: { seq: number; failed: boolean }) {
  const env = new StreamEnvironment()
    .setParallelism(parallelism)
    .setCheckpointStorage(`s3://${bucket}/checkpoints`, endpoints.s3);
  const out = env
    .fromGenerator(
      { count: RECORDS, seed: 9, generate, recordsPerSecond },
      forMonotonousTimestamps<Event>().withTimestampAssigner((e) => e.seq),
    )
    .uid('events')
    .map((e) => {
      if (failAt && e.seq === failAt.seq && !failAt.failed) {
        failAt.failed = true;
        throw new Error('injected');
      }
      return e;
    })
    .uid('maybe-fail')
    .keyBy((e) => e.user)
    .process(countPerUser)
    .uid('count-per-user')
    .collect();
  return { env, out };
}

test('a failure is recovered from a checkpoint in S3 with every count exact', async () => {
  const failAt = { seq: 2500, failed: false };
  const { env, out } = build(2, 10_000, failAt);
  env.enableCheckpointing(30).setRestartStrategy({ kind: 'fixed-delay', attempts: 2, delayMs: 10 });
  const result = await env.execute('s3-recovery');
  assert.ok(failAt.failed);
  assert.equal(result.restarts, 1);
  assert.deepEqual(new Map(out.values), expectedCounts());
});

test('a savepoint in S3 taken at parallelism 2 restores at parallelism 3 with exact counts', async () => {
  const first = build(2, 8000);
  const control = new JobControl();
  const job = first.env.execute('s3-savepoint', { control });
  await new Promise((resolve) => setTimeout(resolve, 150));
  const location = await control.stopWithSavepoint(`s3://${bucket}/savepoints/sp-1`);
  assert.equal((await job).savepoint, location);
  assert.deepEqual(first.out.values, []);

  const second = build(3, undefined);
  await second.env.execute('s3-restored', { fromSavepoint: location });
  assert.deepEqual(new Map(second.out.values), expectedCounts());
});
