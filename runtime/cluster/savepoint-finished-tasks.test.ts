// Savepoints across TaskManagers after a bounded source finished (Flink's
// FLIP-147): the JobManager takes them with the finished subtasks' final
// state, a stop-with-savepoint ends the job, and a restore at another
// parallelism counts every record exactly once without reading the bounded
// source again. Checked against counts computed without the runtime.
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { describeCauseChain } from '../errors.ts';
import { independentCounts } from '../testing/count-per-key.ts';
import { waitUntil } from '../testing/wait-until.ts';
import { startInProcessCluster } from '../testing/in-process-cluster.ts';
import type { JobManager } from './job-manager.ts';
import { committedOutput } from './fixtures/running-count-output.ts';
import { generateKey, type Counted } from './fixtures/running-count-job.ts';
import { LONG_SEED, SHORT_SEED } from './fixtures/two-sources-count-job.ts';

const JOB = new URL('./fixtures/two-sources-count-job.ts', import.meta.url).pathname;
const SHORT = 300;
const LONG = 8000;

function startCluster(parallelism: number, settings: object, args: string[]) {
  return startInProcessCluster({
    job: { path: JOB, args, name: 'two-sources' },
    settings,
    taskManagers: parallelism,
    heartbeatTimeoutMs: 5000,
  });
}

/** Missing, repeated or unexpected counts: per key exactly 1..total once, total over both sources' inputs. */
function exactlyOnceProblems(output: Counted[]): string[] {
  const expected = independentCounts(SHORT_SEED, SHORT, generateKey, (k) => k);
  for (const [key, n] of independentCounts(LONG_SEED, LONG, generateKey, (k) => k))
    expected.set(key, (expected.get(key) ?? 0) + n);
  const seen = new Map<string, number[]>();
  for (const { key, n } of output) seen.set(key, [...(seen.get(key) ?? []), n]);
  const problems: string[] = [];
  for (const [key, total] of expected) {
    const counts = (seen.get(key) ?? []).sort((a, b) => a - b);
    const repeated = counts.filter((n, i) => i > 0 && counts[i - 1] === n);
    if (repeated.length > 0) problems.push(`${key}: counts ${[...new Set(repeated)].join(',')} written twice`);
    if (new Set(counts).size !== total || counts.at(-1) !== total)
      problems.push(`${key}: ${counts.length} counts up to ${counts.at(-1)}, expected 1..${total}`);
  }
  for (const key of seen.keys()) if (!expected.has(key)) problems.push(`${key}: not an input key`);
  return problems;
}

/** Records the bounded source's subtasks emitted, as the TaskManagers last reported them. */
function shortFigures(jobManager: JobManager) {
  const samples = jobManager.subtaskSamples().filter((s) => s.latest.vertex === 'short');
  return {
    subtasks: samples.length,
    finished: samples.filter((s) => s.latest.finished).length,
    emitted: samples.reduce((sum, s) => sum + s.latest.recordsOut, 0),
  };
}

describe('savepoints with finished tasks across TaskManagers', () => {
  const dirs: string[] = [];
  after(async () => {
    if (!process.env.KEEP) for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('after a bounded source finished: savepoint, stop-with-savepoint at 2, restore at 3, each count exactly once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'brook-finished-savepoint-'));
    dirs.push(dir);
    const out = `${dir}/out`;
    const checkpoints = { interval: 200, dir: `file://${dir}/checkpoints` };

    const first = await startCluster(2, { job: { parallelism: 2 }, checkpoints }, [
      out,
      String(SHORT),
      String(LONG),
      '1000',
    ]);
    let location: string;
    try {
      const running = first.jobManager.run();
      await first.jobManager.control.whenRunning();
      await waitUntil(
        () => shortFigures(first.jobManager).finished === 2,
        'both subtasks of the bounded source finished (as their TaskManagers reported)',
        30_000,
      );
      await first.jobManager.control.triggerSavepoint(`file://${dir}/intermediate`);
      location = await first.jobManager.control.stopWithSavepoint(`file://${dir}/stopped`);
      const result = await running;
      assert.equal(result.state, 'FINISHED', describeCauseChain(result.failure));
      assert.equal(result.savepoint, location);
      assert.equal(shortFigures(first.jobManager).emitted, SHORT);
    } finally {
      await first.stop();
    }
    const stoppedAt = (await committedOutput(out)).length;
    assert.ok(stoppedAt < SHORT + LONG, `stopped before the long source ended (${stoppedAt} counts committed)`);

    const second = await startCluster(3, { job: { parallelism: 3 }, checkpoints, restore: { path: location } }, [
      out,
      String(SHORT),
      String(LONG),
    ]);
    try {
      const result = await second.jobManager.run();
      assert.equal(result.state, 'FINISHED', describeCauseChain(result.failure));
      const restored = shortFigures(second.jobManager);
      assert.equal(restored.subtasks, 3);
      assert.equal(restored.emitted, 0, 'the restored bounded source emitted nothing again');
    } finally {
      await second.stop();
    }
    const output = await committedOutput(out);
    assert.ok(output.length > stoppedAt, 'the long source went on after the restore');
    assert.deepEqual(exactlyOnceProblems(output), []);
    assert.equal(output.length, SHORT + LONG);
  });
});
