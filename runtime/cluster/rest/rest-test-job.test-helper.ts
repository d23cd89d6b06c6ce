// A real job on the mini-cluster behind the REST API, for the contract tests:
// a queue source (parallelism 1) feeding a keyed count (parallelism 2) into a
// sink the test can hold, so a savepoint can be kept in progress on purpose.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamEnvironment } from '../../api/environment.ts';
import { JobControl } from '../../execution/job-control.ts';
import { JobCancelledError, type JobExecutionResult } from '../../execution/mini-cluster.ts';
import { valueState, type KeyedProcessFunction, type ValueState } from '../../index.ts';
import { queueSource } from '../../testing/queue-source.ts';
import { waitUntil } from '../../testing/wait-until.ts';
import { JobStatusTracker } from '../job-status-tracker.ts';
import { figuresOf, MiniClusterBackend } from '../mini-cluster-backend.ts';
import { MetricsRegistry } from '../../metrics/registry.ts';
import { describeJobGraph, statusHooks } from '../mini-cluster-status.ts';
import { startRestServer, type RestServer } from './server.ts';

export interface TestJobOptions {
  checkpointIntervalMs?: number;
  /** The keyed function throws once on this word, and the job restarts once. */
  failOnceOn?: string;
}

export interface TestJob {
  jobId: string;
  name: string;
  dir: string;
  rest: RestServer;
  tracker: JobStatusTracker;
  push(...words: string[]): void;
  /** Words the sink has received. */
  written: string[];
  /** While held, the sink does not finish its writes, so no barrier passes it. */
  holdSink(): void;
  releaseSink(): void;
  /** The job's end: its result, or the error it ended with. */
  outcome: Promise<{ result?: JobExecutionResult; error?: unknown }>;
  /** `json` is the parsed answer, probed field by field by the tests. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped JSON from the wire
  call(method: string, path: string, body?: unknown): Promise<{ status: number; headers: Headers; json: any }>;
  close(): Promise<void>;
}

export async function startTestJob(options: TestJobOptions = {}): Promise<TestJob> {
  const dir = mkdtempSync(join(tmpdir(), 'brook-rest-'));
  const name = 'rest-contract';
  const jobId = randomBytes(16).toString('hex');
  const env = new StreamEnvironment().setParallelism(2);
  if (options.checkpointIntervalMs !== undefined) {
    env.enableCheckpointing(options.checkpointIntervalMs, { retained: 1000 });
    env.setCheckpointStorage(`file://${dir}/checkpoints`);
  }
  if (options.failOnceOn !== undefined) env.setRestartStrategy({ kind: 'fixed-delay', attempts: 1, delayMs: 10 });

  const queue = queueSource<string>();
  const written: string[] = [];
  let hold: { promise: Promise<void>; release: () => void } | undefined;
  let failed = false;
  const count: KeyedProcessFunction<string, string, string> & { seen?: ValueState<number> } = {
    open(ctx) {
      this.seen = ctx.getState(valueState<number>('seen'));
    },
    processElement(word, _ctx, out) {
      if (word === options.failOnceOn && !failed) {
        failed = true;
        throw new Error(`refusing '${word}' once`);
      }
      this.seen!.update((this.seen!.value() ?? 0) + 1);
      out.collect(word);
    },
  };
  env
    .fromSource(queue.source, undefined, 'words')
    .setParallelism(1)
    .uid('words')
    .keyBy((w) => w)
    .process(count)
    .name('count')
    .uid('count')
    .sinkTo({
      createWriter: () => ({
        write: (word: string) => {
          written.push(word);
          return hold?.promise;
        },
      }),
    })
    .name('held sink')
    .uid('held-sink');

  const tracker = new JobStatusTracker({ id: jobId, name, ...describeJobGraph(env.getJobGraph(name)) });
  const control = new JobControl();
  const abort = new AbortController();
  // The tasks' counters, read by the REST API's per-vertex figures (as `brook run` does).
  const metrics = new MetricsRegistry();
  const backend = new MiniClusterBackend({
    tracker,
    control,
    cancel: () => abort.abort(),
    defaultSavepointDir: `file://${dir}/savepoints`,
    figures: figuresOf(metrics),
  });
  const rest = await startRestServer({ backend, port: 0 });
  const hooks = statusHooks(tracker);
  const outcome = env.execute(name, { jobId, control, signal: abort.signal, metrics, ...hooks }).then(
    (result) => {
      tracker.ended('finished');
      return { result };
    },
    (error: unknown) => {
      tracker.ended(error instanceof JobCancelledError ? 'cancelled' : 'failed', error);
      return { error };
    },
  );
  // Running for real: a record has gone through every task.
  queue.push('warm-up');
  await waitUntil(() => written.includes('warm-up'), 'the first record reached the sink', 30_000);

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${rest.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      json: text ? (JSON.parse(text) as unknown) : undefined,
    };
  };

  return {
    jobId,
    name,
    dir,
    rest,
    tracker,
    push: (...words) => queue.push(...words),
    written,
    holdSink() {
      let release!: () => void;
      const promise = new Promise<void>((resolve) => (release = resolve));
      hold = { promise, release };
    },
    releaseSink() {
      hold?.release();
      hold = undefined;
    },
    outcome,
    call,
    async close() {
      hold?.release();
      hold = undefined;
      abort.abort();
      await outcome;
      await rest.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls an asynchronous condition until it holds. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
