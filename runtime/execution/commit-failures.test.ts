// Commits of completed checkpoints run beside the task loop: one that fails
// while the job runs fails the job (even when the sink task sits idle), and
// one that fails after the job was cancelled is logged, never an unhandled
// rejection (which would crash the process under Node's default).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { after, test } from 'node:test';
import type { TwoPhaseCommittingSink } from '../connectors/sink.ts';
import { JobCancelledError, JobExecutionError, StreamEnvironment } from '../index.ts';
import { queueSource } from '../testing/queue-source.ts';
import { waitUntil } from '../testing/wait-until.ts';

const root = mkdtempSync(join(tmpdir(), 'brook-commit-failures-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A sink whose every checkpoint has one committable, and whose commits do what `commit` says. */
function sinkCommitting(commit: () => Promise<void>): TwoPhaseCommittingSink<number, string> {
  let prepared = 0;
  return {
    createWriter: () => ({ write: () => {}, prepareCommit: () => [`transaction-${++prepared}`] }),
    createCommitter: () => ({ commit }),
  };
}

/** Records the rejections Node finds unhandled while `body` runs, and after it until the event loop turned twice. */
async function unhandledRejectionsDuring(body: () => Promise<void>): Promise<unknown[]> {
  const unhandled: unknown[] = [];
  const record = (reason: unknown) => void unhandled.push(reason);
  process.on('unhandledRejection', record);
  try {
    await body();
    // Node reports a rejection without a handler once the microtasks of the turn that rejected it have run.
    await nextTurn();
    await nextTurn();
  } finally {
    process.off('unhandledRejection', record);
  }
  return unhandled;
}

/**
 * Source → sink in two tasks, one checkpoint (the pause after it outlasts the
 * test): when its commit runs, the sink task has nothing to read and waits for
 * input instead of draining its commits (as it does after every batch or barrier).
 */
function idleJob(sink: TwoPhaseCommittingSink<number, string>, name: string): StreamEnvironment {
  const feed = queueSource<number>();
  const env = new StreamEnvironment()
    .setParallelism(1)
    .enableCheckpointing(10, { minPauseMs: 3_600_000 })
    .setCheckpointStorage(`file://${root}/${name}`)
    .setRestartStrategy({ kind: 'none' });
  env.fromSource(feed.source).rebalance().sinkTo(sink).uid('sink');
  feed.push(1);
  return env;
}

test(
  'a commit that rejects after the job was cancelled is handled: no unhandled rejection, the job ends cancelled',
  { timeout: 30_000 },
  async () => {
    let commitsStarted = 0;
    let refuse!: (error: Error) => void;
    const hung = new Promise<void>((_, reject) => (refuse = reject));
    const sink = sinkCommitting(() => {
      commitsStarted++;
      return hung;
    });
    const env = idleJob(sink, 'after-cancel');
    const abort = new AbortController();
    const unhandled = await unhandledRejectionsDuring(async () => {
      const job = env.execute('commit-after-cancel', { signal: abort.signal });
      await waitUntil(() => commitsStarted > 0, "the checkpoint's commit is in flight", 10_000);
      abort.abort();
      await assert.rejects(job, (error: unknown) => error instanceof JobCancelledError);
      refuse(new Error('the broker refused the commit after the cancellation'));
    });
    assert.equal(commitsStarted, 1);
    assert.deepEqual(unhandled, []);
  },
);

test(
  'a commit that rejects while the job runs fails the job, though the sink task is idle',
  { timeout: 30_000 },
  async () => {
    const refused = new Error('the broker refused the commit');
    const sink = sinkCommitting(async () => {
      await nextTurn();
      throw refused;
    });
    const env = idleJob(sink, 'while-running');
    const unhandled = await unhandledRejectionsDuring(async () => {
      const job = env.execute('commit-fails-running');
      await assert.rejects(job, (error: unknown) => error instanceof JobExecutionError && error.cause === refused);
    });
    assert.deepEqual(unhandled, []);
  },
);
