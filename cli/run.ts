// `brook run JOB`: loads the configuration and the job module, builds the
// pipeline and runs it on the local mini-cluster in this process. Ctrl-C stops
// the job with a savepoint.
import { existsSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { JobControl } from '../runtime/execution/job-control.ts';
import { pathToFileURL } from 'node:url';
import { StreamEnvironment } from '../runtime/api/environment.ts';
import { applyConfiguration, defaultSavepointDir } from '../runtime/config/apply.ts';
import { loadConfiguration } from '../runtime/config/loader.ts';
import { renderConfiguration } from '../runtime/config/render.ts';
import { JobCancelledError } from '../runtime/execution/mini-cluster.ts';
import { describeCauseChain } from '../runtime/errors.ts';
import { JobStatusTracker } from '../runtime/cluster/job-status-tracker.ts';
import { MiniClusterBackend } from '../runtime/cluster/mini-cluster-backend.ts';
import { describeJobGraph, statusHooks } from '../runtime/cluster/mini-cluster-status.ts';
import { startRestServer } from '../runtime/cluster/rest/server.ts';
import type { Configuration } from '../runtime/config/configuration.ts';
import { randomUUID } from 'node:crypto';
import { clusterHost } from './cluster-commands.ts';
import { serveMetrics } from './metrics-endpoint.ts';
import { UsageError } from './usage-error.ts';

export type JobBuilder = (env: StreamEnvironment, args: string[]) => void | Promise<void>;

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
  env?: string;
  set?: string[];
  'from-savepoint'?: string;
  'print-config'?: boolean;
}

/** `--parallelism` and `--from-savepoint` are shorthands for configuration keys, applied after every --set. */
function flagOverrides(flags: RunFlags): string[] {
  return [
    ...(flags.parallelism !== undefined ? [`job.parallelism=${flags.parallelism}`] : []),
    ...(flags['from-savepoint'] !== undefined ? [`restore.path=${JSON.stringify(flags['from-savepoint'])}`] : []),
  ];
}

export async function runJob(jobPath: string, flags: RunFlags, jobArgs: string[]): Promise<number> {
  // Throws ConfigurationError (exit 2) listing every problem of the file, profile, variables and --set.
  const config = loadConfiguration({
    file: flags.config,
    profile: flags.env,
    overrides: [...(flags.set ?? []), ...flagOverrides(flags)],
    defaults: { job: { name: jobNameOf(jobPath) } },
  });
  if (flags['print-config']) {
    process.stdout.write(renderConfiguration(config));
    return 0;
  }
  const env = applyConfiguration(new StreamEnvironment(), config);
  const build = await loadJob(jobPath);
  await build(env, jobArgs);
  const jobName = config.job.name ?? jobNameOf(jobPath);
  const savepointDir = config.savepoints.dir ?? defaultSavepointDir();

  // Ctrl-C (or SIGTERM) stops the job with a savepoint; a second one cancels it.
  const abort = new AbortController();
  const control = new JobControl();
  const onSignal = () => {
    if (abort.signal.aborted) return;
    process.once('SIGINT', () => abort.abort());
    const target = `${savepointDir}/savepoint-${jobName}-${Date.now()}`;
    console.error(`brook run: stopping job '${jobName}' with a savepoint (Ctrl-C again cancels)`);
    control.stopWithSavepoint(target).catch((error: unknown) => {
      console.error(`brook run: savepoint failed, cancelling: ${describeCauseChain(error)}`);
      abort.abort();
    });
  };
  const status = await serveJobStatus(env, config, { jobName, control, abort, savepointDir });
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  console.error(`brook run: running job '${jobName}' (Ctrl-C stops it with a savepoint)`);
  try {
    const result = await env.execute(jobName, {
      signal: abort.signal,
      control,
      jobId: status?.tracker.id ?? config.job.id,
      ...status?.hooks,
      metrics: status?.metrics,
      checkpointListener: status?.checkpointListener,
      fromSavepoint: config.restore.path,
      allowNonRestoredState: config.restore.allowNonRestoredState,
      // A fixed job id (the operator sets one) means "this job": a restarted process resumes its newest checkpoint.
      resumeFromLatestCheckpoint: config.job.id !== undefined,
      onRestore: (location, kind) => console.error(`brook run: restoring job '${jobName}' from ${kind} ${location}`),
      onRestart: (failure, delayMs) => {
        status?.hooks.onRestart(failure, delayMs);
        console.error(`brook run: job failed, restarting in ${delayMs} ms: ${describeCauseChain(failure)}`);
      },
    });
    status?.tracker.ended('finished');
    if (result.savepoint) {
      console.error(`brook run: job '${result.jobName}' stopped with savepoint ${result.savepoint}`);
      console.log(result.savepoint);
      return 0;
    }
    console.error(`brook run: job '${result.jobName}' finished in ${(result.durationMs / 1000).toFixed(1)} s`);
    return 0;
  } catch (error) {
    if (error instanceof JobCancelledError) {
      status?.tracker.ended('cancelled');
      console.error(`brook run: job '${jobName}' cancelled`);
      return 130;
    }
    status?.tracker.ended('failed', error);
    console.error(`brook run: ${describeCauseChain(error)}`);
    return 1;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await status?.close();
  }
}

/** How long a finished `brook run` keeps its REST API up for clients still polling a savepoint or stop. */
const RESULT_GRACE_MS = 5_000;

/**
 * The job's status as the REST API (docs/rest-api.md, when `rest.port` is set)
 * and /metrics (docs/metrics.md, when `metrics.port` is set) show it: a status
 * tracker fed by the execute() hooks, and the servers over it. On close,
 * results of savepoints and stops are first given time to be fetched.
 */
async function serveJobStatus(
  env: StreamEnvironment,
  config: Configuration,
  job: { jobName: string; control: JobControl; abort: AbortController; savepointDir: string },
) {
  if (config.rest.port === undefined && config.metrics.port === undefined) return undefined;
  const tracker = new JobStatusTracker({
    id: config.job.id ?? randomUUID().replaceAll('-', ''),
    name: job.jobName,
    ...describeJobGraph(env.getJobGraph(job.jobName)),
  });
  const metrics =
    config.metrics.port === undefined
      ? undefined
      : await serveMetrics('brook run', { host: clusterHost(config), port: config.metrics.port });
  const jobMetrics = metrics?.registry.registerJob(job.jobName, tracker.id, tracker);
  let server;
  try {
    server =
      config.rest.port === undefined
        ? undefined
        : await startRestServer({
            backend: new MiniClusterBackend({
              tracker,
              control: job.control,
              cancel: () => job.abort.abort(),
              defaultSavepointDir: job.savepointDir,
            }),
            port: config.rest.port,
            address: config.rest.address,
          });
  } catch (error) {
    await metrics?.close();
    throw error;
  }
  if (server) console.error(`brook run: REST API at ${server.url}`);
  return {
    tracker,
    hooks: statusHooks(tracker),
    metrics: metrics?.registry,
    checkpointListener: jobMetrics?.checkpointListener,
    close: async () => {
      if (server) {
        await server.triggers.whenResultsDelivered(RESULT_GRACE_MS);
        await server.close();
      }
      await metrics?.close();
    },
  };
}
