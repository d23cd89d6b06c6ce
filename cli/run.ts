// `brook run JOB`: loads a job module, builds its pipeline and runs it on the
// local mini-cluster in this process. Ctrl-C cancels the job.
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { JobControl } from '../runtime/execution/job-control.ts';
import { pathToFileURL } from 'node:url';
import { StreamEnvironment } from '../runtime/api/environment.ts';
import { JobCancelledError } from '../runtime/execution/mini-cluster.ts';
import { describeCauseChain } from '../runtime/errors.ts';
import { UsageError } from './usage-error.ts';

export type JobBuilder = (env: StreamEnvironment, args: string[]) => void | Promise<void>;

interface RunOptions {
  savepointDir: string;
}

/** The `--set` keys `brook run` understands so far, named as in Flink's configuration. */
const settings: Record<string, (env: StreamEnvironment, value: string, run: RunOptions) => void> = {
  'execution.checkpointing.interval': (env, v) =>
    env.enableCheckpointing(positiveInt('execution.checkpointing.interval', v)),
  'state.checkpoints.dir': (env, v) => env.setCheckpointStorage(storageUri('state.checkpoints.dir', v)),
  'state.savepoints.dir': (_env, v, run) => void (run.savepointDir = storageUri('state.savepoints.dir', v)),
  'parallelism.default': (env, v) => env.setParallelism(positiveInt('parallelism.default', v)),
  'pipeline.max-parallelism': (env, v) => env.setMaxParallelism(positiveInt('pipeline.max-parallelism', v)),
  'pipeline.auto-watermark-interval': (env, v) =>
    env.setAutoWatermarkInterval(nonNegativeInt('pipeline.auto-watermark-interval', v)),
};

function storageUri(key: string, value: string): string {
  if (!/^(file:\/\/\/|s3:\/\/[^/]+)/.test(value)) {
    throw new UsageError(`brook run: --set ${key} must be a file:///path or s3://bucket/prefix URI, got '${value}'`);
  }
  return value.replace(/\/+$/, '');
}

function positiveInt(key: string, value: string): number {
  if (!/^[1-9][0-9]*$/.test(value))
    throw new UsageError(`brook run: --set ${key} must be a positive integer, got '${value}'`);
  return Number(value);
}

function nonNegativeInt(key: string, value: string): number {
  if (!/^[0-9]+$/.test(value))
    throw new UsageError(`brook run: --set ${key} must be a whole number of ms, got '${value}'`);
  return Number(value);
}

/** Imports the job module and returns its default export, or says precisely what is wrong with it. */
export async function loadJob(path: string): Promise<JobBuilder> {
  const absolute = resolve(path);
  if (!existsSync(absolute)) throw new UsageError(`brook run: job module ${path} does not exist`);
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(absolute).href)) as { default?: unknown };
  } catch (error) {
    throw new UsageError(`brook run: cannot load job module ${path}: ${(error as Error).message.split('\n')[0]}`);
  }
  if (typeof module.default !== 'function') {
    throw new UsageError(
      `brook run: job module ${path} must export a default function build(env, args) that builds the pipeline`,
    );
  }
  return module.default as JobBuilder;
}

/** `examples/wordcount/job.ts` is "wordcount"; `jobs/fraud.ts` is "fraud". */
export function jobNameOf(path: string): string {
  const parts = resolve(path).split(sep);
  const file = parts.at(-1)!.replace(/\.[cm]?[jt]s$/, '');
  return file === 'job' || file === 'index' ? (parts.at(-2) ?? file) : file;
}

export interface RunFlags {
  parallelism?: number;
  config?: string;
  set?: string[];
  'from-savepoint'?: string;
}

export async function runJob(jobPath: string, flags: RunFlags, jobArgs: string[]): Promise<number> {
  if (flags.config !== undefined) throw new UsageError('brook run: --config is not implemented yet (issue #5)');
  const env = new StreamEnvironment();
  const run: RunOptions = { savepointDir: `file://${join(tmpdir(), 'brook-savepoints')}` };
  for (const assignment of flags.set ?? []) {
    const [key, value] = [assignment.slice(0, assignment.indexOf('=')), assignment.slice(assignment.indexOf('=') + 1)];
    const apply = settings[key];
    if (!apply) {
      throw new UsageError(`brook run: unknown setting '${key}' in --set (known: ${Object.keys(settings).join(', ')})`);
    }
    apply(env, value, run);
  }
  if (flags.parallelism !== undefined) env.setParallelism(flags.parallelism);

  const build = await loadJob(jobPath);
  await build(env, jobArgs);
  const jobName = jobNameOf(jobPath);

  // Ctrl-C (or SIGTERM) stops the job with a savepoint; a second one cancels it.
  const abort = new AbortController();
  const control = new JobControl();
  const onSignal = () => {
    if (abort.signal.aborted) return;
    process.once('SIGINT', () => abort.abort());
    const target = `${run.savepointDir}/savepoint-${jobName}-${Date.now()}`;
    console.error(`brook run: stopping job '${jobName}' with a savepoint (Ctrl-C again cancels)`);
    control.stopWithSavepoint(target).catch((error: unknown) => {
      console.error(`brook run: savepoint failed, cancelling: ${describeCauseChain(error)}`);
      abort.abort();
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const result = await env.execute(jobName, {
      signal: abort.signal,
      control,
      fromSavepoint: flags['from-savepoint'],
      onRestart: (failure, delayMs) =>
        console.error(`brook run: job failed, restarting in ${delayMs} ms: ${describeCauseChain(failure)}`),
    });
    if (result.savepoint) {
      console.error(`brook run: job '${result.jobName}' stopped with savepoint ${result.savepoint}`);
      console.log(result.savepoint);
      return 0;
    }
    console.error(`brook run: job '${result.jobName}' finished in ${(result.durationMs / 1000).toFixed(1)} s`);
    return 0;
  } catch (error) {
    if (error instanceof JobCancelledError) {
      console.error(`brook run: job '${jobName}' cancelled`);
      return 130;
    }
    console.error(`brook run: ${describeCauseChain(error)}`);
    return 1;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
