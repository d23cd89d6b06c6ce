// Checkpoints and savepoints on real S3 (testenv's server): a failure is
// recovered from an S3 checkpoint with exact counts, and a savepoint written to
// S3 at parallelism 2 restores at parallelism 3.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { endpoints, temporaryBucket } from '../../scripts/testenv/index.ts';
import { JobControl } from '../execution/job-control.ts';
import { StreamEnvironment, forMonotonousTimestamps } from '../index.ts';
import type { SeededRandom } from '../connectors/random.ts';
import { countPerKeyAtEnd, independentCounts } from '../testing/count-per-key.ts';

let bucket: Awaited<ReturnType<typeof temporaryBucket>>;

before(async () => {
  bucket = await temporaryBucket('brook-test');
});

after(async () => {
  await bucket.remove();
});

interface Event {
  user: string;
  seq: number;
}

const RECORDS = 4000;
const generate = (i: number, r: SeededRandom): Event => ({ user: `user-${r.int(0, 20)}`, seq: i });

const expectedCounts = () => independentCounts(9, RECORDS, generate, (e) => e.user);

function build(parallelism: number, recordsPerSecond: number | undefined, failAt?: { seq: number; failed: boolean }) {
  const env = new StreamEnvironment()
    .setParallelism(parallelism)
    .setCheckpointStorage(`s3://${bucket.name}/checkpoints`, endpoints.s3);
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
    .process(countPerKeyAtEnd<Event>())
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
  // Stopped as soon as it runs: a fixed wait fails on a loaded machine.
  await control.whenRunning();
  const location = await control.stopWithSavepoint(`s3://${bucket.name}/savepoints/sp-1`);
  assert.equal((await job).savepoint, location);
  assert.deepEqual(first.out.values, []);

  const second = build(3, undefined);
  await second.env.execute('s3-restored', { fromSavepoint: location });
  assert.deepEqual(new Map(second.out.values), expectedCounts());
});
