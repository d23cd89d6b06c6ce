// Savepoints after a bounded source finished, next to one still running
// (Flink's FLIP-147): they are taken, hold the finished source's final state,
// and a restore counts its records once; refused only once every source ended.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { JobControl } from '../execution/job-control.ts';
import { MetricsRegistry } from '../metrics/registry.ts';
import { waitUntil } from '../testing/wait-until.ts';
import { independentCounts } from '../testing/count-per-key.ts';
import { StreamEnvironment, valueState, type KeyedProcessFunction, type ValueState } from '../index.ts';
import type { SeededRandom } from '../connectors/random.ts';
import { openCheckpointStorage } from './storage.ts';
import { readMetadata } from './metadata.ts';
import { CheckpointCoordinator, defaultCheckpointSettings, type CoordinatedTask } from './coordinator.ts';

const root = mkdtempSync(join(tmpdir(), 'brook-savepoint-finished-'));
after(() => rmSync(root, { recursive: true, force: true }));

const SHORT = { count: 300, seed: 21 };
const LONG = { count: 6000, seed: 22 };
const generate = (_i: number, r: SeededRandom) => `k${r.int(0, 19)}`;

/** Per key, the count over both inputs, computed without the runtime. */
function expectedCounts(): Map<string, number> {
  const counts = independentCounts(SHORT.seed, SHORT.count, generate, (k) => k);
  for (const [key, n] of independentCounts(LONG.seed, LONG.count, generate, (k) => k))
    counts.set(key, (counts.get(key) ?? 0) + n);
  return counts;
}

/** Missing, repeated or unexpected running counts: per key, exactly 1..total once each over `rows`. */
function exactlyOnceProblems(rows: [string, number][]): string[] {
  const expected = expectedCounts();
  const seen = new Map<string, number[]>();
  for (const [key, n] of rows) seen.set(key, [...(seen.get(key) ?? []), n]);
  const problems: string[] = [];
  for (const [key, total] of expected) {
    const counts = (seen.get(key) ?? []).sort((a, b) => a - b);
    const repeated = counts.filter((n, i) => i > 0 && counts[i - 1] === n);
    if (repeated.length > 0) problems.push(`${key}: counts ${[...new Set(repeated)].join(',')} twice`);
    if (new Set(counts).size !== total || counts.at(-1) !== total)
      problems.push(`${key}: ${counts.length} counts up to ${counts.at(-1)}, expected 1..${total}`);
  }
  for (const key of seen.keys()) if (!expected.has(key)) problems.push(`${key}: not an input key`);
  return problems;
}

/** Records the bounded source emitted, per run. */
const shortEmitted = new Map<string, number>();

function build(run: string, parallelism: number, longRate?: number) {
  shortEmitted.set(run, 0);
  const env = new StreamEnvironment().setParallelism(parallelism);
  const short = env
    .fromGenerator({ ...SHORT, generate })
    .uid('short')
    .map((key) => {
      shortEmitted.set(run, shortEmitted.get(run)! + 1);
      return key;
    });
  const long = env.fromGenerator({ ...LONG, generate, recordsPerSecond: longRate }).uid('long');
  const count: KeyedProcessFunction<string, string, [string, number]> & { n?: ValueState<number> } = {
    open(ctx) {
      this.n = ctx.getState(valueState<number>('n'));
    },
    processElement(key, _ctx, out) {
      const n = (this.n!.value() ?? 0) + 1;
      this.n!.update(n);
      out.collect([key, n]);
    },
  };
  const results = short
    .union(long)
    .keyBy((key) => key)
    .process(count)
    .uid('count')
    .collect();
  return { env, results };
}

/** Starts `run` with the long source rate-limited and waits until every subtask of the bounded source finished. */
async function startWithShortFinished(run: string, parallelism: number) {
  const job = build(run, parallelism, 1000);
  const control = new JobControl();
  const metrics = new MetricsRegistry();
  const execution = job.env.execute(run, { control, metrics });
  await control.whenRunning();
  const finished = () => metrics.subtaskFigures().filter((f) => f.vertex === 'short' && f.finished).length;
  await waitUntil(() => finished() === parallelism, 'every subtask of the bounded source finished', 20_000);
  return { ...job, control, execution };
}

test('after a bounded source finished: an intermediate savepoint, a stop-with-savepoint, and a restore at another parallelism count each record once', async () => {
  const first = await startWithShortFinished('first', 2);
  const intermediate = await first.control.triggerSavepoint(`file://${root}/intermediate`);
  const location = await first.control.stopWithSavepoint(`file://${root}/stopped`);
  const stopped = await first.execution;
  assert.equal(stopped.savepoint, location);
  assert.ok(first.results.values.length < SHORT.count + LONG.count, 'stopped before the long source ended');
  assert.equal(shortEmitted.get('first'), SHORT.count);

  // Both savepoints hold the finished source's final state, one part per subtask.
  for (const uri of [intermediate, location]) {
    const storage = await openCheckpointStorage(`file://${root}`);
    const metadata = await readMetadata(storage, uri.slice(uri.lastIndexOf('/') + 1));
    assert.equal(metadata.kind, 'savepoint');
    assert.equal(metadata.operators.find((o) => o.uid === 'short')?.operatorState.length, 2, uri);
  }

  const second = build('second', 3);
  await second.env.execute('restored', { fromSavepoint: location });
  assert.equal(shortEmitted.get('second'), 0, 'the restored bounded source emitted nothing again');
  assert.ok(second.results.values.length > 0, 'the long source went on');
  assert.deepEqual(exactlyOnceProblems([...first.results.values, ...second.results.values]), []);
});

test('after a bounded source finished: a stop-with-savepoint with drain ends the job with a savepoint that restores', async () => {
  const first = await startWithShortFinished('drained', 2);
  const location = await first.control.stopWithSavepoint(`file://${root}/drained`, { drain: true });
  const stopped = await first.execution;
  assert.equal(stopped.savepoint, location);
  assert.ok(first.results.values.length < SHORT.count + LONG.count, 'stopped before the long source ended');

  const second = build('after-drain', 1);
  await second.env.execute('restored-after-drain', { fromSavepoint: location });
  assert.equal(shortEmitted.get('after-drain'), 0, 'the restored bounded source emitted nothing again');
  assert.deepEqual(exactlyOnceProblems([...first.results.values, ...second.results.values]), []);
});

/** A task as the coordinator sees it, without a job behind it; records what it was asked. */
function fakeTask(isSource: boolean, finished: boolean, asked: string[]): CoordinatedTask {
  const name = `${isSource ? 'source' : 'task'}-${finished ? 'finished' : 'running'}`;
  return {
    subtask: 0,
    operators: [],
    isSource,
    isFinished: () => finished,
    trigger: (id, stop) => void asked.push(`trigger ${name} ${id} stop=${stop}`),
    notifyComplete: () => {},
    resumeAfterFailedStop: () => {},
    snapshotFinished: (id) => void asked.push(`final state of ${name} ${id}`),
  };
}

const cases: [string, [isSource: boolean, finished: boolean][], 'taken' | 'refused'][] = [
  [
    'every task running',
    [
      [true, false],
      [false, false],
    ],
    'taken',
  ],
  [
    'one source finished, another running',
    [
      [true, true],
      [true, false],
      [false, false],
    ],
    'taken',
  ],
  [
    'a source and its downstream task finished',
    [
      [true, true],
      [false, true],
      [true, false],
      [false, false],
    ],
    'taken',
  ],
  [
    'every source finished, a downstream task still draining',
    [
      [true, true],
      [true, true],
      [false, false],
    ],
    'refused',
  ],
  [
    'every task finished',
    [
      [true, true],
      [false, true],
    ],
    'refused',
  ],
];

for (const [name, shape, outcome] of cases) {
  test(`a savepoint with ${name} is ${outcome}`, async () => {
    const asked: string[] = [];
    const tasks = shape.map(([isSource, finished]) => fakeTask(isSource, finished, asked));
    const coordinator = new CheckpointCoordinator(
      { ...defaultCheckpointSettings, intervalMs: undefined },
      undefined,
      'job',
      128,
      tasks,
      (error) => assert.fail(error),
    );
    const storage = await openCheckpointStorage(`file://${root}/fake`);
    const savepoint = coordinator.triggerSavepoint(storage, 'sp', true);
    if (outcome === 'refused') {
      await assert.rejects(savepoint, {
        code: 'BROOK_JOB_FINISHING',
        message: /the job is finishing: every source has reached the end of its input/,
      });
      assert.deepEqual(asked, []);
    } else {
      savepoint.catch(() => {});
      // Running sources get the barrier; finished tasks are asked for their final state instead.
      const expected = shape.flatMap(([isSource, finished]) =>
        finished
          ? [`final state of ${isSource ? 'source' : 'task'}-finished 1`]
          : isSource
            ? ['trigger source-running 1 stop=true']
            : [],
      );
      assert.deepEqual(asked, expected);
    }
    await coordinator.stop();
  });
}
