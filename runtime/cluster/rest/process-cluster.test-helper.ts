// A JobManager and TaskManagers as real `brook` processes on loopback, with
// free ports, for the tests of the REST figures and the dashboard.
import { randomUUID } from 'node:crypto';
import { BrookProcess } from '../../testing/brook-process.ts';

export interface ProcessCluster {
  jobId: string;
  restUrl: string;
  jobManager: BrookProcess;
  taskManagers: BrookProcess[];
  /** Stderr of every process, for a failed assertion's message. */
  logs(): string;
  stop(): Promise<void>;
}

/** Starts `brook jobmanager --job job` at parallelism `taskManagers` and that many TaskManagers. */
export async function startProcessCluster(options: {
  job: string;
  args: string[];
  taskManagers: number;
  /** More `--set key=value` settings of the JobManager. */
  settings?: string[];
}): Promise<ProcessCluster> {
  const jobId = randomUUID().replaceAll('-', '');
  const set = (settings: string[]) => settings.flatMap((s) => ['--set', s]);
  const jobManager = new BrookProcess('jobmanager', [
    'jobmanager',
    '--job',
    options.job,
    ...set([
      `job.parallelism=${options.taskManagers}`,
      `job.id=${jobId}`,
      'cluster.controlPort=0',
      'rest.port=0',
      'metrics.port=0',
      'cluster.heartbeatInterval=200',
      ...(options.settings ?? []),
    ]),
    '--',
    ...options.args,
  ]);
  const taskManagers: BrookProcess[] = [];
  const stop = async () => {
    await Promise.all([jobManager, ...taskManagers].map((p) => p.kill('SIGKILL')));
  };
  const logs = () => [jobManager, ...taskManagers].map((p) => `--- ${p.label}\n${p.stderr}`).join('\n');
  try {
    const controlPort = Number((await jobManager.waitFor(/control port at 127\.0\.0\.1:(\d+)/))[1]);
    const restUrl = (await jobManager.waitFor(/REST API at (http:\/\/[\w.:[\]-]+)/))[1]!;
    for (let i = 0; i < options.taskManagers; i++) {
      taskManagers.push(
        new BrookProcess(`taskmanager ${i + 1}`, [
          'taskmanager',
          '--jobmanager',
          `127.0.0.1:${controlPort}`,
          ...set(['cluster.dataPort=0', 'metrics.port=0']),
        ]),
      );
    }
    return { jobId, restUrl, jobManager, taskManagers, logs, stop };
  } catch (error) {
    await stop();
    throw new Error(`the cluster did not start: ${(error as Error).message}\n${logs()}`, { cause: error });
  }
}

/** GET `path` of the REST API as parsed JSON. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped JSON from the wire, probed by the tests
export async function getJson(restUrl: string, path: string): Promise<any> {
  const response = await fetch(`${restUrl}${path}`);
  const text = await response.text();
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as unknown;
}
