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
import { configureLogging, configureLoggingFrom, logger, rootLogger, type Logger } from '../runtime/logging/logger.ts';
import { JobStatusTracker } from '../runtime/cluster/job-status-tracker.ts';
import { figuresOf, MiniClusterBackend } from '../runtime/cluster/mini-cluster-backend.ts';
import { MetricsRegistry } from '../runtime/metrics/registry.ts';
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
  // Lines for a person at a terminal unless configured otherwise; JSON when stderr goes to a file or a collector.
  configureLoggingFrom(config, { pretty: process.stderr.isTTY === true });
  configureLogging({ bindings: { process: 'run' } });
  const env = applyConfiguration(new StreamEnvironment(), config);
  const build = await loadJob(jobPath);
  await build(env, jobArgs);
  const jobName = config.job.name ?? jobNameOf(jobPath);
  const savepointDir = config.savepoints.dir ?? defaultSavepointDir();
  const jobId = config.job.id ?? randomUUID().replaceAll('-', '');
  const jobLog = rootLogger().child({ jobId, jobName });
  const log = logger('cli', jobLog);

  // Ctrl-C (or SIGTERM) stops the job with a savepoint; a second one cancels it.
  const abort = new AbortController();
  const control = new JobControl();
  const onSignal = () => {
    if (abort.signal.aborted) return;
    process.once('SIGINT', () => abort.abort());
    const target = `${savepointDir}/savepoint-${jobName}-${Date.now()}`;
    log.info({ target }, `stopping job '${jobName}' with a savepoint (Ctrl-C again cancels)`);
    control.stopWithSavepoint(target).catch((error: unknown) => {
      log.error({ err: error }, 'savepoint failed, cancelling');
      abort.abort();
    });
  };
  const status = await serveJobStatus(env, config, { jobId, jobName, control, abort, savepointDir, log });
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  log.info(`running job '${jobName}' (Ctrl-C stops it with a savepoint)`);
  try {
    const result = await env.execute(jobName, {
      signal: abort.signal,
      control,
      // The REST API's job id behaves as a fixed one, as before; otherwise it only names this run.
      jobId: status ? jobId : config.job.id,
      runId: jobId,
      ...status?.hooks,
      metrics: status?.metrics,
      checkpointListener: status?.checkpointListener,
      fromSavepoint: config.restore.path,
      allowNonRestoredState: config.restore.allowNonRestoredState,
      // A fixed job id (the operator sets one) means "this job": a restarted process resumes its newest checkpoint.
      resumeFromLatestCheckpoint: config.job.id !== undefined,
      onRestore: (location, kind) =>
        logger('checkpoint', jobLog).info({ kind, location }, `restoring job '${jobName}' from ${kind} ${location}`),
      onRestart: (failure, delayMs) => {
        status?.hooks.onRestart(failure, delayMs);
        logger('execution', jobLog).warn({ err: failure, delayMs }, `job failed, restarting in ${delayMs} ms`);
      },
    });
    status?.tracker.ended('finished');
    if (result.savepoint) {
      log.info({ savepoint: result.savepoint }, `job '${result.jobName}' stopped with savepoint ${result.savepoint}`);
      console.log(result.savepoint);
      return 0;
    }
    log.info(
      { durationMs: result.durationMs, restarts: result.restarts },
      `job '${result.jobName}' finished in ${(result.durationMs / 1000).toFixed(1)} s`,
    );
    return 0;
  } catch (error) {
    if (error instanceof JobCancelledError) {
      status?.tracker.ended('cancelled');
      log.info(`job '${jobName}' cancelled`);
      return 130;
    }
    status?.tracker.ended('failed', error);
    log.error({ err: error }, `job '${jobName}' failed: ${(error as Error).message}`);
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
  job: {
    jobId: string;
    jobName: string;
    control: JobControl;
    abort: AbortController;
    savepointDir: string;
    log: Logger;
  },
) {
  if (config.rest.port === undefined && config.metrics.port === undefined) return undefined;
  const tracker = new JobStatusTracker({
    id: job.jobId,
    name: job.jobName,
    ...describeJobGraph(env.getJobGraph(job.jobName)),
  });
  const metrics =
    config.metrics.port === undefined
      ? undefined
      : await serveMetrics(job.log, { host: clusterHost(config), port: config.metrics.port });
  const jobMetrics = metrics?.registry.registerJob(job.jobName, tracker.id, tracker);
  // The REST API's per-vertex figures read the tasks' counters: registered, if not served on /metrics.
  const registry = metrics?.registry ?? new MetricsRegistry();
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
              figures: figuresOf(registry),
            }),
            port: config.rest.port,
            address: config.rest.address,
          });
  } catch (error) {
    await metrics?.close();
    throw error;
  }
  if (server) job.log.info({ url: server.url }, `REST API at ${server.url}`);
  return {
    tracker,
    hooks: statusHooks(tracker),
    metrics: registry,
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
