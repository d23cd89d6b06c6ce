// The file sink's end-to-end claims, written once and run against file:// and
// s3:// (file-sink.test.ts, file-sink.s3.test.ts). Expected output is the
// generator's input, computed apart from the runtime.
import assert from 'node:assert/strict';
import { SeededRandom, seedFor } from '../random.ts';
import { StreamEnvironment } from '../../index.ts';
import { heldSource } from '../../testing/held-source.ts';
import type { TwoPhaseCommittingSink } from '../sink.ts';
import { fileSink, type FileSinkOptions } from './file-sink.ts';
import type { PartCommittable } from './part-store.ts';

/** A place the sink writes to, and how a test reads it back independently of the sink. */
export interface Target {
  /** A fresh base path (file:///… or s3://…) for one scenario. */
  path(name: string): string;
  extraOptions: Partial<FileSinkOptions<unknown>>;
  /** Committed files under `path`: relative path → contents. */
  committed(path: string): Promise<Map<string, string>>;
  /** How many parts under `path` are written but hidden (in-progress files, open multipart uploads). */
  hidden(path: string): Promise<number>;
  checkpoints(name: string): string;
}

interface Line {
  i: number;
  v: number;
  text: string;
}

const generate = (i: number, r: SeededRandom): Line => ({ i, v: r.int(0, 1000), text: 'x'.repeat(r.int(0, 60)) });

export function input(seed: number, count: number): string[] {
  const random = new SeededRandom();
  return Array.from({ length: count }, (_, i) => JSON.stringify(generate(i, random.reset(seedFor(seed, i)))));
}

export function committedLines(files: Map<string, string>): string[] {
  return [...files.values()].flatMap((content) => content.split('\n').filter((line) => line.length > 0)).sort();
}

const sorted = (values: string[]) => [...values].sort();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Wraps a sink so its commits can be watched and delayed; a commit still waiting when its attempt ends is lost (a crash). */
export function slowCommits<T>(sink: TwoPhaseCommittingSink<T, PartCommittable>, delayMs: number) {
  const stats = { started: 0, done: 0 };
  const wrapped: TwoPhaseCommittingSink<T, PartCommittable> = {
    createWriter: (context) => sink.createWriter(context),
    createCommitter: async (context) => {
      const inner = await sink.createCommitter(context);
      let closed = false;
      return {
        async commit(committables) {
          stats.started++;
          await sleep(delayMs);
          if (closed) return;
          await inner.commit(committables);
          stats.done++;
        },
        async close() {
          closed = true;
          await inner.close?.();
        },
      };
    },
  };
  return { sink: wrapped, stats };
}

export async function failureMidStream(target: Target, parallelism: number): Promise<void> {
  const path = target.path(`mid-stream-${parallelism}`);
  let failed = false;
  const env = new StreamEnvironment()
    .setParallelism(parallelism)
    .enableCheckpointing(25)
    .setCheckpointStorage(target.checkpoints(`mid-stream-${parallelism}`))
    .setRestartStrategy({ kind: 'fixed-delay', attempts: 2, delayMs: 10 });
  env
    .fromGenerator({ count: 4000, seed: 3, generate, recordsPerSecond: 20_000 })
    .uid('lines')
    .map((line) => {
      if (!failed && line.i === 2600) {
        failed = true;
        throw new Error('injected failure');
      }
      return line;
    })
    .sinkTo(fileSink<Line>({ ...target.extraOptions, path, bucket: false, rolling: { maxPartSizeBytes: 8 * 1024 } }))
    .uid('files');
  const result = await env.execute('mid-stream');
  assert.equal(result.restarts, 1);
  const files = await target.committed(path);
  assert.deepEqual(committedLines(files), sorted(input(3, 4000)));
  for (const name of files.keys()) assert.match(name, /^part-\d-\d+\.jsonl$/);
}

export async function failureBeforeCommit(target: Target): Promise<void> {
  const path = target.path('before-commit');
  const slow = slowCommits(
    fileSink<Line>({ ...target.extraOptions, path, bucket: false, rolling: { maxPartSizeBytes: 16 * 1024 } }),
    200,
  );
  let failed = false;
  const env = new StreamEnvironment()
    .setParallelism(3)
    .enableCheckpointing(50)
    .setCheckpointStorage(target.checkpoints('before-commit'))
    .setRestartStrategy({ kind: 'fixed-delay', attempts: 2, delayMs: 10 });
  env
    // Slow enough that a checkpoint completes while records still flow, even on a loaded machine.
    .fromGenerator({ count: 6000, seed: 4, generate, recordsPerSecond: 4_000 })
    .uid('lines')
    .map((line) => {
      // A checkpoint completed (its commits began) and none has finished yet: the worst moment to fail.
      if (!failed && slow.stats.started > 0 && slow.stats.done === 0) {
        failed = true;
        throw new Error('injected failure');
      }
      return line;
    })
    .rebalance()
    .sinkTo(slow.sink)
    .uid('files');
  const result = await env.execute('before-commit');
  assert.ok(failed);
  assert.equal(result.restarts, 1);
  assert.deepEqual(committedLines(await target.committed(path)), sorted(input(4, 6000)));
}

export async function hiddenUntilCommitted(target: Target): Promise<void> {
  const path = target.path('hidden');
  const expected = input(5, 600);
  const held = heldSource<Line>((output, poll) => {
    if (poll > 0) return false;
    for (const line of expected) output.collect(JSON.parse(line) as Line);
    return true;
  });
  const env = new StreamEnvironment()
    .setParallelism(1)
    .enableCheckpointing(60_000)
    .setCheckpointStorage(target.checkpoints('hidden'));
  env
    .fromSource(held.source)
    .sinkTo(fileSink<Line>({ ...target.extraOptions, path, bucket: false, rolling: { maxPartSizeBytes: 4 * 1024 } }))
    .uid('files');
  const running = env.execute('hidden');
  try {
    // Parts rolled by size are sealed, some bytes are written, and no checkpoint has completed.
    let hidden = 0;
    const deadline = Date.now() + 10_000;
    while (hidden < 3 && Date.now() < deadline) {
      hidden = await target.hidden(path);
      await sleep(20);
    }
    assert.ok(hidden >= 3, `${hidden} hidden parts`);
    assert.deepEqual([...(await target.committed(path)).keys()], [], 'nothing under a final name before the commit');
  } finally {
    held.release();
  }
  await running;
  const files = await target.committed(path);
  assert.deepEqual(committedLines(files), sorted(expected));
  assert.ok(files.size >= 4, `${files.size} parts`);
  assert.equal(await target.hidden(path), 0, 'every hidden part was committed');
}

export async function rollingBySize(target: Target): Promise<void> {
  const path = target.path('by-size');
  const limit = 3000;
  const env = new StreamEnvironment().setParallelism(2);
  env
    .fromGenerator({ count: 2000, seed: 6, generate })
    .sinkTo(fileSink<Line>({ ...target.extraOptions, path, bucket: false, rolling: { maxPartSizeBytes: limit } }));
  await env.execute('by-size');
  const files = await target.committed(path);
  assert.ok(files.size > 20, `${files.size} parts`);
  for (const [name, content] of files)
    assert.ok(Buffer.byteLength(content) <= limit, `${name}: ${Buffer.byteLength(content)} bytes`);
  assert.deepEqual(committedLines(files), sorted(input(6, 2000)));
}

export async function restartsNeverReuseNames(target: Target): Promise<void> {
  const path = target.path('reruns');
  for (let run = 0; run < 2; run++) {
    const env = new StreamEnvironment().setParallelism(2);
    env
      .fromGenerator({ count: 500, seed: 7, generate })
      .sinkTo(fileSink<Line>({ ...target.extraOptions, path, bucket: false, rolling: { maxPartSizeBytes: 4096 } }));
    await env.execute(`rerun-${run}`);
  }
  const once = input(7, 500);
  assert.deepEqual(committedLines(await target.committed(path)), sorted([...once, ...once]));
}
