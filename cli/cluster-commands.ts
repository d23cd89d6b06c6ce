// `brook jobmanager` and `brook taskmanager`: the two processes of a
// distributed job (what the JobManager and TaskManager pods run).
import { loadConfiguration } from '../runtime/config/loader.ts';
import type { Configuration } from '../runtime/config/configuration.ts';
import type { BrookConfig } from '../runtime/config/schema.ts';
import { JobManager } from '../runtime/cluster/job-manager.ts';
import { JobModuleError } from '../runtime/cluster/job-module.ts';
import { TaskManager } from '../runtime/cluster/task-manager.ts';
import { MiniClusterBackend } from '../runtime/cluster/mini-cluster-backend.ts';
import { startRestServer } from '../runtime/cluster/rest/server.ts';
import { defaultSavepointDir } from '../runtime/config/apply.ts';
import { randomUUID } from 'node:crypto';
import { configureLogging, configureLoggingFrom, logger, rootLogger } from '../runtime/logging/logger.ts';
import type { MetricsRegistry } from '../runtime/metrics/registry.ts';
import { DEFAULT_METRICS_PORT } from '../runtime/metrics/server.ts';
import { serveMetrics } from './metrics-endpoint.ts';
import { jobNameOf } from './run.ts';
import { UsageError } from './usage-error.ts';

/** How long an ended JobManager keeps its REST API up for clients still polling a savepoint or stop. */
const RESULT_GRACE_MS = 5_000;

interface ConfigurationFlags {
  config?: string;
  env?: string;
  set?: string[];
}

/** Where this process binds and what it announces: `cluster.host`, else $POD_IP (DESIGN.md), else loopback. */
export function clusterHost(config: Configuration): string {
  return config.cluster.host ?? (process.env.POD_IP || '127.0.0.1');
}

/** The process's logging from its configuration, with its role and identity on every line (docs/logging.md). */
function startLogging(config: Configuration, role: 'jobmanager' | 'taskmanager', resourceId: string): void {
  configureLoggingFrom(config);
  configureLogging({ bindings: { process: role, resourceId, host: clusterHost(config) } });
}

/** Runs `command` with this process's metrics served on `metrics.port` (9249 unless set), closed when it ends. */
async function withMetrics(config: Configuration, run: (metrics: MetricsRegistry) => Promise<number>): Promise<number> {
  const port = config.metrics.port ?? DEFAULT_METRICS_PORT;
  const endpoint = await serveMetrics(rootLogger(), { host: clusterHost(config), port });
  try {
    return await run(endpoint.registry);
  } finally {
    await endpoint.close();
  }
}

/** The enumerable settings only: the plain data every TaskManager rebuilds the job from. */
function plainSettings(config: Configuration): BrookConfig {
  return structuredClone({ ...config }) as unknown as BrookConfig;
}

export async function runJobManager(flags: ConfigurationFlags & { job: string }, jobArgs: string[]): Promise<number> {
  const config = loadConfiguration({
    file: flags.config,
    profile: flags.env,
    overrides: flags.set ?? [],
    defaults: { job: { name: jobNameOf(flags.job) } },
  });
  startLogging(config, 'jobmanager', process.env.POD_NAME ?? `jm-${randomUUID().slice(0, 8)}`);
  // A JobManager runs one job: every line of the process names it.
  configureLogging({ bindings: { jobName: config.job.name ?? jobNameOf(flags.job) } });
  return withMetrics(config, (metrics) => runConfiguredJobManager(config, flags, jobArgs, metrics));
}

async function runConfiguredJobManager(
  config: Configuration,
  flags: { job: string },
  jobArgs: string[],
  metrics: MetricsRegistry,
): Promise<number> {
  const name = config.job.name ?? jobNameOf(flags.job);
  const host = clusterHost(config);
  const jobManager = new JobManager({
    job: { path: flags.job, args: jobArgs, name, settings: plainSettings(config) },
    controlHost: host,
    controlPort: config.cluster.controlPort,
    heartbeatIntervalMs: config.cluster.heartbeatInterval,
    heartbeatTimeoutMs: config.cluster.heartbeatTimeout,
    metrics,
  });
  let tracker;
  try {
    tracker = await jobManager.prepare();
  } catch (error) {
    if (error instanceof JobModuleError) throw new UsageError(`brook jobmanager: ${error.message}`);
    throw error;
  }
  configureLogging({ bindings: { jobId: jobManager.jobId } });
  const log = logger('cli');
  const control = await jobManager.listen();
  log.info(
    { controlAddress: `${control.host}:${control.port}` },
    `job '${name}' (${jobManager.jobId}), control port at ${control.host}:${control.port}`,
  );
  const backend = new MiniClusterBackend({
    tracker,
    control: jobManager.control,
    cancel: () => jobManager.cancel(),
    defaultSavepointDir: config.savepoints.dir ?? defaultSavepointDir(),
    taskManagers: () => jobManager.taskManagerInfo(),
    figures: () => jobManager.subtaskSamples(),
  });
  // The JobManager serves its REST API on 8081 unless told otherwise (DESIGN.md).
  const rest = await startRestServer({ backend, port: config.rest.port ?? 8081, address: config.rest.address ?? host });
  log.info({ url: rest.url }, `REST API at ${rest.url}`);
  // SIGTERM (a pod deleted, the operator's last-state upgrade) leaves the job to be resumed from its latest
  // checkpoint by the next JobManager: exit without cancelling, as Flink suspends a job on JobManager shutdown.
  const onTerm = () => {
    log.info(`terminated; job '${name}' is suspended (its checkpoints are kept)`);
    process.exit(143);
  };
  process.once('SIGTERM', onTerm);
  process.once('SIGINT', onTerm);
  try {
    const result = await jobManager.run();
    if (result.alreadyEnded || !config.cluster.shutdownOnJobEnd) {
      // Kept up (by configuration, or because a restarted pod found its job ended): REST shows how it ended.
      await new Promise<void>((resolve) => {
        process.removeListener('SIGTERM', onTerm);
        process.removeListener('SIGINT', onTerm);
        process.once('SIGTERM', () => resolve());
        process.once('SIGINT', () => resolve());
        log.info({ state: result.state }, `job '${name}' ended (${result.state}); serving its status until stopped`);
      });
    }
    if (result.state === 'FINISHED') {
      if (result.savepoint) {
        log.info({ savepoint: result.savepoint }, `job '${name}' stopped with savepoint ${result.savepoint}`);
        console.log(result.savepoint);
      } else log.info({ restarts: result.restarts }, `job '${name}' finished (${result.restarts} restarts)`);
      return 0;
    }
    if (result.state === 'CANCELED') {
      log.info(`job '${name}' cancelled`);
      return 130;
    }
    log.error({ err: result.failure }, `job '${name}' failed: ${(result.failure as Error).message}`);
    return 1;
  } finally {
    process.removeListener('SIGTERM', onTerm);
    process.removeListener('SIGINT', onTerm);
    // Clients polling a savepoint or stop get their result before the API goes away.
    await rest.triggers.whenResultsDelivered(RESULT_GRACE_MS);
    await rest.close();
    await jobManager.close();
  }
}

export async function runTaskManager(flags: ConfigurationFlags & { jobmanager: string }): Promise<number> {
  const config = loadConfiguration({ file: flags.config, profile: flags.env, overrides: flags.set ?? [] });
  // The TaskManager's id, as the JobManager and the REST API show it.
  const id = `tm-${randomUUID().slice(0, 8)}`;
  startLogging(config, 'taskmanager', id);
  return withMetrics(config, (metrics) => runConfiguredTaskManager(config, flags, metrics, id));
}

async function runConfiguredTaskManager(
  config: Configuration,
  flags: { jobmanager: string },
  metrics: MetricsRegistry,
  taskManagerId: string,
): Promise<number> {
  // Jobs import 'brook' (every connector; the Kafka client alone takes over a second to load). Loaded now,
  // before registering, a deployment only runs the job module: a replacement TaskManager is ready sooner.
  await import('../runtime/index.ts');
  const [jmHost, jmPort] = flags.jobmanager.split(':') as [string, string];
  const host = clusterHost(config);
  const taskManager = new TaskManager({
    jobManager: { host: jmHost, port: Number(jmPort) },
    dataHost: host,
    dataPort: config.cluster.dataPort,
    taskManagerId,
    metrics,
    secret: config.cluster.secret,
    encryption: config.cluster.encryption,
  });
  const data = await taskManager.start();
  const log = logger('cli');
  log.info(
    { dataAddress: `${data.host}:${data.port}`, jobManager: flags.jobmanager },
    `data exchange at ${data.host}:${data.port}, JobManager ${flags.jobmanager}`,
  );
  // A TaskManager runs until it is stopped: its jobs come and go with the JobManager.
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  log.info('stopping');
  await taskManager.stop();
  return 0;
}
