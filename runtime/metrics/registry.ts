// A process's metrics: a prom-client registry whose runtime families read the
// counters of the tasks registered with it at scrape time, plus job metrics,
// user metrics and process metrics. One per process (`brook run`, JobManager,
// TaskManager); tests make their own.
import { Registry } from 'prom-client';
import type { Labels } from './collected-metric.ts';
import { JobMetrics, registerJobFamilies, type JobStatusSource } from './job-metrics.ts';
import { registerProcessMetrics } from './process-metrics.ts';
import type { SourceFetchStats, SplitBacklog } from '../connectors/source.ts';
import { registerTaskFamilies, type MeteredOperator, type MeteredTask, type TaskEntry } from './task-families.ts';
import { OperatorMetricGroup, UserMetricFamilies, type MetricOwner } from './user-metrics.ts';
import { readSubtaskFigures, type SubtaskFigures } from './subtask-figures.ts';

/** One task (a subtask of a job vertex) as it is registered. */
export interface TaskRegistration {
  task: MeteredTask;
  /** The vertex id (its head operator's uid, as the REST API names vertices). */
  taskId: string;
  taskName: string;
  subtask: number;
  /** The chain, head first. */
  operators: { uid: string; name: string; operator: MeteredOperator }[];
  /** The head operator's reader when the task is a source; read at scrape time (it exists once the task opened). */
  source?: { readonly reader?: { pendingRecords?(): SplitBacklog[]; fetchStats?(): SourceFetchStats } };
}

/**
 * The tasks of one attempt of a job in this process. A new attempt of the
 * same job replaces it; `close` removes its series (a TaskManager does when the
 * attempt ends, since it outlives its jobs).
 */
export class AttemptMetrics implements MetricOwner {
  closed = false;
  readonly tasks: TaskEntry[] = [];

  constructor(
    readonly jobName: string,
    private readonly userFamilies: UserMetricFamilies,
  ) {}

  /** Registers a task before it opens, so its user functions' metrics are exported from the start. */
  addTask(registration: TaskRegistration): void {
    const { task, taskId, taskName, subtask, source } = registration;
    const job_name = this.jobName;
    const operators = registration.operators.map(({ uid, name, operator }) => {
      const labels: Labels = { job_name, operator_uid: uid, operator_name: name, subtask };
      operator.metrics.user = new OperatorMetricGroup(`operator '${name}' (uid '${uid}', subtask ${subtask})`, {
        families: this.userFamilies,
        labels,
        owner: this,
      });
      return { labels, metrics: operator.metrics, operator };
    });
    this.tasks.push({
      labels: { job_name, task_id: taskId, task_name: taskName, subtask },
      task,
      operators,
      isSource: source !== undefined,
      pendingRecords: () => source?.reader?.pendingRecords?.(),
      fetchStats: () => source?.reader?.fetchStats?.(),
    });
  }

  close(): void {
    this.closed = true;
  }
}

/**
 * The metrics of this process, as `/metrics` serves them (server.ts).
 *
 * @example
 * const metrics = new MetricsRegistry({ processMetrics: true })
 * await env.execute('clicks', { metrics })
 * console.log(await metrics.metrics())   // Prometheus text exposition
 */
export class MetricsRegistry {
  readonly prometheus = new Registry();
  private readonly attempts = new Map<string, AttemptMetrics>();
  private readonly jobs = new Set<JobMetrics>();
  private readonly userFamilies = new UserMetricFamilies(this.prometheus);

  /** `processMetrics`: CPU, memory, heap, event loop and GC of this process (once per process is enough). */
  constructor(options: { processMetrics?: boolean } = {}) {
    registerTaskFamilies(this.prometheus, () => this.liveTasks());
    registerJobFamilies(this.prometheus, () => this.liveJobs());
    if (options.processMetrics) registerProcessMetrics(this.prometheus);
  }

  /** An attempt of `jobName` starts in this process: its tasks replace those of the previous one. */
  attempt(jobName: string): AttemptMetrics {
    this.attempts.get(jobName)?.close();
    const attempt = new AttemptMetrics(jobName, this.userFamilies);
    this.attempts.set(jobName, attempt);
    return attempt;
  }

  /** Exports the status and checkpoints of a job (read from `status` at each scrape) until closed. */
  registerJob(jobName: string, jobId: string, status: JobStatusSource): JobMetrics {
    const job = new JobMetrics(jobName, jobId, status);
    this.jobs.add(job);
    return job;
  }

  /** The Prometheus text exposition of every metric. */
  metrics(): Promise<string> {
    return this.prometheus.metrics();
  }

  get contentType(): string {
    return this.prometheus.contentType;
  }

  /** The figures of every task of the live attempts, read now (what `brook run` shows on its REST API). */
  subtaskFigures(): SubtaskFigures[] {
    const at = Date.now();
    return [...this.liveTasks()].map((t) =>
      readSubtaskFigures(String(t.labels.task_id), Number(t.labels.subtask), t.task, t.operators, at),
    );
  }

  private *liveTasks(): Iterable<TaskEntry> {
    for (const attempt of this.attempts.values()) if (!attempt.closed) yield* attempt.tasks;
  }

  private *liveJobs(): Iterable<JobMetrics> {
    for (const job of this.jobs) {
      if (job.closed) this.jobs.delete(job);
      else yield job;
    }
  }
}
