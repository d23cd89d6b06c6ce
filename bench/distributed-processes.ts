// The processes of bench/distributed.ts: a JobManager and TaskManagers as
// `brook` processes on loopback, the job's status through the REST API, what a
// process used (/proc), and the figures the benchmark job's sinks leave behind.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BrookProcess } from '../runtime/testing/brook-process.ts';
import { ProcessCluster } from '../runtime/testing/process-cluster.ts';
import type { Progress, SinkSummary } from './jobs/keyed-exchange.ts';

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

export interface Usage {
  /** CPU-seconds (user + system, all threads), from /proc/<pid>/stat. */
  cpu: number;
  /** Seconds the main thread was runnable but waiting for a CPU (/proc/<pid>/schedstat): a busy machine shows here. */
  waiting: number;
}

/** What a live process has used so far. */
export function usage(pid: number): Usage {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const waitingNs = Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]);
  return { cpu: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS, waiting: waitingNs / 1e9 };
}

export function usageSince(pid: number, before: Usage): Usage {
  const now = usage(pid);
  return { cpu: now.cpu - before.cpu, waiting: now.waiting - before.waiting };
}

async function getJson<T>(url: string): Promise<T | undefined> {
  try {
    const response = await fetch(url);
    return response.ok ? ((await response.json()) as T) : undefined;
  } catch {
    return undefined; // not up yet, or already gone
  }
}

interface JobDetails {
  state: string;
  timestamps: Record<string, number>;
}
interface CheckpointView {
  id: number;
  trigger_timestamp: number;
  latest_ack_timestamp: number;
}
interface Checkpoints {
  counts: { completed: number };
  latest: { completed: CheckpointView | null; restored: { id: number; restore_timestamp: number } | null };
}

/**
 * Polls a job's REST status every `everyMs` until stopped (or `enough` holds),
 * keeping the last answers. Polling costs the JobManager (or the `brook run`
 * process) CPU on this 2-core machine, so throughput runs stop at RUNNING.
 */
export class JobWatch {
  details: JobDetails | undefined;
  checkpoints: Checkpoints | undefined;
  private stopped = false;
  readonly done: Promise<void>;

  constructor(restUrl: string, jobId: string, options: { everyMs: number; enough?: (w: JobWatch) => boolean }) {
    this.done = (async () => {
      while (!this.stopped && !options.enough?.(this)) {
        this.details = (await getJson<JobDetails>(`${restUrl}/jobs/${jobId}`)) ?? this.details;
        if (!options.enough) {
          this.checkpoints = (await getJson<Checkpoints>(`${restUrl}/jobs/${jobId}/checkpoints`)) ?? this.checkpoints;
        }
        await sleep(options.everyMs);
      }
    })();
  }

  /** When the job was last seen going to RUNNING (0 until then). */
  get runningAt(): number {
    return this.details?.timestamps.RUNNING ?? 0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}

/** Watches only until the job is RUNNING, to read that timestamp. */
export const untilRunning = { everyMs: 50, enough: (w: JobWatch) => w.runningAt > 0 };

/** Resolves with the wall-clock time at which `pattern` appears in the process's stderr. */
export async function seenAt(process: BrookProcess, pattern: RegExp, timeoutMs = 120_000): Promise<number> {
  await process.waitFor(pattern, timeoutMs);
  return Date.now();
}

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await sleep(20);
  }
}

export function sinkSummaries(dir: string): SinkSummary[] {
  return readdirSync(dir)
    .filter((n) => n.startsWith('sink-'))
    .map((n) => JSON.parse(readFileSync(join(dir, n), 'utf8')) as SinkSummary);
}

export function progressLines(dir: string): Progress[] {
  return readdirSync(dir)
    .filter((n) => n.startsWith('progress-'))
    .flatMap((n) =>
      readFileSync(join(dir, n), 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Progress),
    );
}

/** The benchmark job on a ProcessCluster at its parallelism under a known id; TaskManagers awaited until registered. */
export class Cluster {
  readonly jobId = randomUUID().replaceAll('-', '');
  private readonly processes: ProcessCluster;

  constructor(
    private readonly job: { path: string; parallelism: number },
    tmEnv: NodeJS.ProcessEnv = {},
  ) {
    this.processes = new ProcessCluster({ env: tmEnv });
  }

  get jobManager(): BrookProcess {
    return this.processes.jobManager;
  }

  get restUrl(): string {
    return this.processes.restUrl;
  }

  get taskManagers(): readonly BrookProcess[] {
    return this.processes.taskManagers;
  }

  /** Starts the JobManager with `settings` (as --set) on top of the job's parallelism and its id. */
  async start(jobArgs: string[], settings: string[]): Promise<void> {
    await this.processes.startJobManager({
      flags: ['--job', this.job.path],
      settings: [`job.parallelism=${this.job.parallelism}`, `job.id=${this.jobId}`, ...settings],
      jobArgs,
      label: 'jobmanager',
    });
  }

  /** Starts a TaskManager; resolves once it registered. */
  async startTaskManager(): Promise<BrookProcess> {
    const tm = this.processes.startTaskManager();
    await tm.waitFor(/registered with JobManager/);
    return tm;
  }

  /** Stops every process: TaskManagers with SIGTERM when they must write a CPU profile on the way out. */
  stop(gracefully = false): Promise<void> {
    return this.processes.stop(gracefully ? 'SIGTERM' : 'SIGKILL');
  }
}
