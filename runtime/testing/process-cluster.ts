// A JobManager and TaskManagers as `brook` processes on loopback, for tests and
// benchmarks that run, kill and restart real processes: every port is chosen by
// the OS, and addresses are read from the processes' log lines.
import { BrookProcess } from './brook-process.ts';

/** Ports the OS chooses, so clusters (and other tests) running at once never collide. */
const FREE_PORTS = ['cluster.controlPort=0', 'rest.port=0', 'metrics.port=0'];
const TASK_MANAGER_FREE_PORTS = ['cluster.dataPort=0', 'metrics.port=0'];
const set = (settings: string[]) => settings.flatMap((setting) => ['--set', setting]);

export interface JobManagerOptions {
  /** Flags of `brook jobmanager`: `--job`, and `--config`, `--env`, `--set` where wanted. */
  flags: string[];
  /** `key=value` settings, passed as `--set` after `flags`. */
  settings?: string[];
  /** The job's own arguments, after `--`; without them, no `--`. */
  jobArgs?: string[];
  env?: NodeJS.ProcessEnv;
  label?: string;
}

/**
 * Starts JobManagers (one at a time: a new one replaces a killed one) and TaskManagers that register with the
 * latest; `stop()` kills every process it started.
 *
 * @example
 * const cluster = new ProcessCluster();
 * await cluster.startJobManager({ flags: ['--job', JOB], settings: ['job.parallelism=2'], jobArgs: ['out'] });
 * for (let i = 0; i < 2; i++) cluster.startTaskManager();
 * assert.equal((await cluster.jobManager.exited).code, 0, cluster.logs());
 */
export class ProcessCluster {
  readonly jobManagers: BrookProcess[] = [];
  readonly taskManagers: BrookProcess[] = [];
  /** Every process in the order started, so logs() reads as it happened. */
  private readonly started: BrookProcess[] = [];
  /** Of the latest JobManager, once it logged it. */
  controlPort = 0;
  restUrl = '';

  constructor(
    /** Flags and environment every TaskManager gets, such as `--config`. */
    private readonly taskManagerOptions: { flags?: string[]; env?: NodeJS.ProcessEnv } = {},
  ) {}

  /** The JobManager started last. */
  get jobManager(): BrookProcess {
    return this.jobManagers.at(-1)!;
  }

  /** Starts a JobManager on free ports; resolves once it logged its control port and REST API. */
  async startJobManager(options: JobManagerOptions): Promise<BrookProcess> {
    const jobArgs = options.jobArgs === undefined ? [] : ['--', ...options.jobArgs];
    const jobManager = new BrookProcess(
      options.label ?? `jobmanager ${this.jobManagers.length + 1}`,
      ['jobmanager', ...options.flags, ...set([...(options.settings ?? []), ...FREE_PORTS]), ...jobArgs],
      options.env,
    );
    this.jobManagers.push(jobManager);
    this.started.push(jobManager);
    this.controlPort = Number((await jobManager.waitFor(/control port at 127\.0\.0\.1:(\d+)/))[1]);
    // The line may be plain text or a JSON log record: the URL ends at a quote as well as at a space.
    this.restUrl = (await jobManager.waitFor(/REST API at (http:[^\s"]+)/))[1]!;
    return jobManager;
  }

  /** Starts a TaskManager for the latest JobManager; it registers on its own (wait for that in its log if needed). */
  startTaskManager(): BrookProcess {
    const taskManager = new BrookProcess(
      `taskmanager ${this.taskManagers.length + 1}`,
      [
        'taskmanager',
        '--jobmanager',
        `127.0.0.1:${this.controlPort}`,
        ...(this.taskManagerOptions.flags ?? []),
        ...set(TASK_MANAGER_FREE_PORTS),
      ],
      this.taskManagerOptions.env,
    );
    this.taskManagers.push(taskManager);
    this.started.push(taskManager);
    return taskManager;
  }

  /** Kills the JobManagers, then the TaskManagers with `taskManagerSignal` (SIGTERM lets them shut down cleanly). */
  async stop(taskManagerSignal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await Promise.all(this.jobManagers.map((p) => p.kill('SIGKILL')));
    await Promise.all(this.taskManagers.map((p) => p.kill(taskManagerSignal)));
  }

  /** Stderr of every process started, for a failed assertion's message. */
  logs(): string {
    return this.started.map((p) => `--- ${p.label}\n${p.stderr}`).join('\n');
  }
}
