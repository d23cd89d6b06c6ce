// End-to-end exactly-once through a two-phase-committing sink: records become
// visible only through commits of transactions that a completed checkpoint
// recorded, so after failures at bad moments — mid-stream, and after one
// branch of the job has already finished — every input record is visible
// exactly once. The expected output is the generator's input, computed apart.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SeededRandom, seedFor } from '../connectors/random.ts';
import { StreamEnvironment } from '../index.ts';
import { TransactionalLedger } from '../testing/transactional-ledger.ts';

const root = mkdtempSync(join(tmpdir(), 'brook-transactional-'));
after(() => rmSync(root, { recursive: true, force: true }));

const generate = (i: number, r: SeededRandom) => `${i}:${r.int(0, 1000)}`;

function input(seed: number, count: number): string[] {
  const random = new SeededRandom();
  return Array.from({ length: count }, (_, i) => generate(i, random.reset(seedFor(seed, i))));
}

const sorted = (values: string[]) => [...values].sort();

for (const parallelism of [1, 3]) {
  test(`a failure mid-stream leaves every record committed exactly once (parallelism ${parallelism})`, async () => {
    const ledger = new TransactionalLedger<string>();
    const failAt = 2600;
    let failed = false;
    const env = new StreamEnvironment()
      .setParallelism(parallelism)
      .enableCheckpointing(25)
      .setCheckpointStorage(`file://${root}/mid-stream-${parallelism}`)
      .setRestartStrategy({ kind: 'fixed-delay', attempts: 2, delayMs: 10 });
    env
      .fromGenerator({ count: 5000, seed: 3, generate, recordsPerSecond: 20_000 })
      .uid('numbers')
      .map((value) => {
        if (!failed && value.startsWith(`${failAt}:`)) {
          failed = true;
          throw new Error('injected failure');
        }
        return value;
      })
      .sinkTo(ledger.sink())
      .uid('ledger');
    const result = await env.execute('mid-stream');
    assert.equal(result.restarts, 1);
    assert.deepEqual(sorted(ledger.committed), sorted(input(3, 5000)));
  });
}

test('a failure after a checkpoint completed but before its commits ran: every subtask redoes them after the restore', async () => {
  const ledger = new TransactionalLedger<string>({ commitDelayMs: 200 });
  let failed = false;
  const env = new StreamEnvironment()
    .setParallelism(3)
    .enableCheckpointing(50)
    .setCheckpointStorage(`file://${root}/before-commit`)
    .setRestartStrategy({ kind: 'fixed-delay', attempts: 2, delayMs: 10 });
  env
    .fromGenerator({ count: 6000, seed: 4, generate, recordsPerSecond: 4_000 })
    .uid('numbers')
    .map((value) => {
      // A checkpoint completed (its commits began) and none has finished yet: the worst moment to fail.
      if (!failed && ledger.commitsStarted > 0 && ledger.commits === 0) {
        failed = true;
        throw new Error('injected failure');
      }
      return value;
    })
    // Not chained: the sink task is busy committing while this task reads on.
    .rebalance()
    .sinkTo(ledger.sink())
    .uid('ledger');
  const result = await env.execute('before-commit');
  assert.ok(failed);
  assert.equal(result.restarts, 1);
  assert.deepEqual(sorted(ledger.committed), sorted(input(4, 6000)));
});

test('a branch that finished just before another fails commits its tail once, not at its end of input', async () => {
  const short = new TransactionalLedger<string>();
  const long = new TransactionalLedger<string>();
  let failed = false;
  let shortPreparedAt: number | undefined;
  const env = new StreamEnvironment()
    .setParallelism(2)
    .enableCheckpointing(150)
    .setCheckpointStorage(`file://${root}/branches`)
    .setRestartStrategy({ kind: 'fixed-delay', attempts: 2, delayMs: 10 });
  env.fromGenerator({ count: 400, seed: 5, generate }).uid('short-source').sinkTo(short.sink()).uid('short-ledger');
  env
    .fromGenerator({ count: 6000, seed: 6, generate, recordsPerSecond: 20_000 })
    .uid('long-source')
    .map((value) => {
      // The short branch pre-committed at its end of input; fail a moment later, before any checkpoint recorded it.
      if (short.prepared > 0) shortPreparedAt ??= performance.now();
      if (!failed && shortPreparedAt !== undefined && performance.now() - shortPreparedAt > 5) {
        failed = true;
        throw new Error('injected failure');
      }
      return value;
    })
    .sinkTo(long.sink())
    .uid('long-ledger');
  const result = await env.execute('branches');
  assert.ok(failed, 'the failure came after the short branch finished');
  assert.equal(result.restarts, 1);
  assert.deepEqual(sorted(short.committed), sorted(input(5, 400)));
  assert.deepEqual(sorted(long.committed), sorted(input(6, 6000)));
  // Checkpoints went on while only the long branch ran (not only the final one).
  assert.ok(result.checkpoints.length > 1, `${result.checkpoints.length} checkpoints in the last attempt`);
});

test('a bounded job with checkpoints commits its last records through a final checkpoint', async () => {
  const ledger = new TransactionalLedger<string>();
  const env = new StreamEnvironment()
    .setParallelism(2)
    .enableCheckpointing(60_000)
    .setCheckpointStorage(`file://${root}/final`);
  env.fromGenerator({ count: 300, seed: 7, generate }).sinkTo(ledger.sink()).uid('ledger');
  const result = await env.execute('final');
  assert.deepEqual(sorted(ledger.committed), sorted(input(7, 300)));
  assert.equal(result.checkpoints.length, 1, 'the interval never came: only the final checkpoint ran');
});

test('without checkpoints, a bounded job commits at the end of input', async () => {
  const ledger = new TransactionalLedger<string>();
  const env = new StreamEnvironment().setParallelism(2);
  env.fromGenerator({ count: 300, seed: 8, generate }).sinkTo(ledger.sink());
  await env.execute('no-checkpoints');
  assert.deepEqual(sorted(ledger.committed), sorted(input(8, 300)));
});
