// One job on a ProcessCluster (a JobManager and TaskManagers as real `brook`
// processes on loopback, free ports), for the tests of the REST figures and the dashboard.
import { randomUUID } from 'node:crypto';
import { ProcessCluster } from '../../testing/process-cluster.ts';

/** A ProcessCluster whose JobManager runs one job under `jobId`, the id its REST paths take. */
export class JobProcessCluster extends ProcessCluster {
  readonly jobId = randomUUID().replaceAll('-', '');
}

/** Starts `brook jobmanager --job job` at parallelism `taskManagers` and that many TaskManagers. */
export async function startProcessCluster(options: {
  job: string;
  args: string[];
  taskManagers: number;
  /** More `--set key=value` settings of the JobManager. */
  settings?: string[];
}): Promise<JobProcessCluster> {
  const cluster = new JobProcessCluster();
  try {
    await cluster.startJobManager({
      flags: ['--job', options.job],
      settings: [
        `job.parallelism=${options.taskManagers}`,
        `job.id=${cluster.jobId}`,
        'cluster.heartbeatInterval=200',
        ...(options.settings ?? []),
      ],
      jobArgs: options.args,
    });
  } catch (error) {
    await cluster.stop();
    throw new Error(`the cluster did not start: ${(error as Error).message}\n${cluster.logs()}`, { cause: error });
  }
  for (let i = 0; i < options.taskManagers; i++) cluster.startTaskManager();
  return cluster;
}

/** GET `path` of the REST API as parsed JSON. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped JSON from the wire, probed by the tests
export async function getJson(restUrl: string, path: string): Promise<any> {
  const response = await fetch(`${restUrl}${path}`);
  const text = await response.text();
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as unknown;
}
