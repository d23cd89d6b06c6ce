// Retained checkpoints after a cancellation: kept by default (the job can be
// resumed from them), deleted when the job says so; and at most `retained`
// completed checkpoints exist while a job runs.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { JobCancelledError, StreamEnvironment } from '../index.ts';
import { listCompletedCheckpoints } from './restore-selection.ts';
import { openCheckpointStorage } from './storage.ts';

const root = mkdtempSync(join(tmpdir(), 'brook-retention-'));
after(() => rmSync(root, { recursive: true, force: true }));

for (const onCancellation of ['retain', 'delete'] as const) {
  test(`on cancellation, checkpoints are ${onCancellation === 'retain' ? 'kept' : 'deleted'} when onCancellation is '${onCancellation}'`, async () => {
    const uri = `file://${root}/${onCancellation}`;
    const env = new StreamEnvironment()
      .enableCheckpointing(10, { onCancellation, retained: 2 })
      .setCheckpointStorage(uri);
    let completedWhileRunning: number[] = [];
    const storage = await openCheckpointStorage(uri);
    env
      .fromGenerator({ count: 1_000_000, generate: (i) => i, recordsPerSecond: 5000 })
      .keyBy((i) => i % 10)
      .reduce((a, b) => a + b)
      .uid('sums')
      .sinkTo({ createWriter: () => ({ write() {} }) });
    const abort = new AbortController();
    const job = env.execute('retention', { signal: abort.signal, jobId: `job-${onCancellation}` });
    for (let waited = 0; completedWhileRunning.length < 2 && waited < 10_000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      completedWhileRunning = await listCompletedCheckpoints(storage, `job-${onCancellation}`);
    }
    abort.abort();
    await assert.rejects(job, JobCancelledError);
    // A new checkpoint is published before the oldest of the retained ones is deleted: briefly one more.
    assert.ok(completedWhileRunning.length >= 1 && completedWhileRunning.length <= 3, completedWhileRunning.join(','));
    const left = await listCompletedCheckpoints(storage, `job-${onCancellation}`);
    if (onCancellation === 'retain') assert.ok(left.length >= 1 && left.length <= 2, `kept ${left.join(',')}`);
    else assert.deepEqual(await storage.list(`job-${onCancellation}/`), []);
  });
}
