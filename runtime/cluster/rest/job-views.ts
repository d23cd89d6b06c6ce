// The JSON of the job endpoints, in Flink's shapes (JobIdsWithStatusOverview,
// MultipleJobsDetails, JobDetailsInfo with its plan, JobExceptionsInfoWithHistory),
// computed purely from what a backend reports.
import type { SubtaskSample } from '../figures-store.ts';
import { allJobStates, type ExceptionRecord, type JobInfo, type JobState } from '../jobs-backend.ts';
import { samplesOf, subtaskState, vertexMetrics } from './vertex-views.ts';

/** Flink's ExecutionState names, in Flink's order. */
const executionStates = [
  'CREATED',
  'SCHEDULED',
  'DEPLOYING',
  'RUNNING',
  'FINISHED',
  'CANCELING',
  'CANCELED',
  'FAILED',
  'RECONCILING',
  'INITIALIZING',
] as const;
type ExecutionState = (typeof executionStates)[number];

/**
 * The state of a job's tasks, derived from the job's: a backend reports job
 * states, and every task of a job shares its lifecycle closely enough.
 */
export function taskStateOf(job: JobState): ExecutionState {
  switch (job) {
    case 'CREATED':
      return 'CREATED';
    case 'RUNNING':
      return 'RUNNING';
    case 'FINISHED':
      return 'FINISHED';
    case 'FAILING':
    case 'CANCELLING':
      return 'CANCELING';
    case 'FAILED':
      return 'FAILED';
    case 'RESTARTING':
    case 'CANCELED':
    case 'SUSPENDED':
      return 'CANCELED';
  }
}

function stateCounts(state: ExecutionState, count: number): Record<ExecutionState, number> {
  const counts = Object.fromEntries(executionStates.map((s) => [s, 0])) as Record<ExecutionState, number>;
  counts[state] = count;
  return counts;
}

function totalSubtasks(job: JobInfo): number {
  return job.vertices.reduce((sum, v) => sum + v.parallelism, 0);
}

function times(job: JobInfo, now: number) {
  return {
    'start-time': job.startTime,
    'end-time': job.endTime ?? -1,
    duration: (job.endTime ?? now) - job.startTime,
  };
}

export function jobsList(jobs: JobInfo[]) {
  return { jobs: jobs.map((j) => ({ id: j.id, status: j.state })) };
}

export function jobsOverview(jobs: JobInfo[], now: number) {
  return {
    jobs: jobs.map((job) => {
      const lowerCaseCounts = Object.fromEntries(
        Object.entries(stateCounts(taskStateOf(job.state), totalSubtasks(job))).map(([k, v]) => [k.toLowerCase(), v]),
      );
      return {
        jid: job.id,
        name: job.name,
        state: job.state,
        ...times(job, now),
        'last-modification': Math.max(job.startTime, ...Object.values(job.timestamps)),
        tasks: { total: totalSubtasks(job), ...lowerCaseCounts },
      };
    }),
  };
}

const shipStrategies: Record<string, string> = {
  forward: 'FORWARD',
  rebalance: 'REBALANCE',
  hash: 'HASH',
  broadcast: 'BROADCAST',
  global: 'GLOBAL',
};

/** Flink's job plan: one node per vertex, with its inputs. */
export function jobPlan(job: JobInfo) {
  return {
    jid: job.id,
    name: job.name,
    type: 'STREAMING',
    nodes: job.vertices.map((vertex) => ({
      id: vertex.id,
      parallelism: vertex.parallelism,
      operator: '',
      operator_strategy: '',
      description: vertex.name,
      operators: vertex.operatorUids,
      inputs: job.edges
        .filter((e) => e.target === vertex.id)
        .map((edge, num) => ({
          num,
          id: edge.source,
          ship_strategy: shipStrategies[edge.partitioning] ?? edge.partitioning.toUpperCase(),
          exchange: 'pipelined_bounded',
        })),
      optimizer_properties: {},
    })),
  };
}

/** Flink's JobDetailsInfo; each vertex with its subtasks' figures summed (vertex-views.ts). */
export function jobDetails(job: JobInfo, now: number, samples: readonly SubtaskSample[] = []) {
  const taskState = taskStateOf(job.state);
  const timestamps = Object.fromEntries(allJobStates.map((s) => [s, job.timestamps[s as JobState] ?? 0]));
  const vertexStates = job.vertices.map((vertex) => {
    const mine = samplesOf(vertex, samples);
    const tasks = stateCounts(taskState, 0);
    for (let subtask = 0; subtask < vertex.parallelism; subtask++) {
      tasks[
        subtaskState(
          taskState,
          mine.find((s) => s.latest.subtask === subtask),
        )
      ]++;
    }
    // A vertex is finished once all its subtasks are (a bounded source before the rest of the job).
    const status: ExecutionState = tasks.FINISHED === vertex.parallelism ? 'FINISHED' : taskState;
    return { vertex, mine, status, tasks };
  });
  const statusCounts = stateCounts(taskState, 0);
  for (const { status } of vertexStates) statusCounts[status]++;
  return {
    jid: job.id,
    name: job.name,
    isStoppable: false,
    state: job.state,
    'job-type': 'STREAMING',
    ...times(job, now),
    maxParallelism: job.maxParallelism,
    now,
    timestamps,
    vertices: vertexStates.map(({ vertex, mine, status, tasks }) => ({
      id: vertex.id,
      name: vertex.name,
      maxParallelism: job.maxParallelism,
      parallelism: vertex.parallelism,
      status,
      ...times(job, now),
      tasks,
      metrics: vertexMetrics(vertex.parallelism, mine),
    })),
    'status-counts': statusCounts,
    plan: jobPlan(job),
    restarts: job.restarts,
  };
}

/** Flink's JobExceptionsInfoWithHistory: the newest `maxExceptions` failures, and the newest as root exception. */
export function jobExceptions(exceptions: ExceptionRecord[], maxExceptions: number) {
  const entries = exceptions.slice(0, maxExceptions).map((e) => ({
    exceptionName: e.exceptionName,
    message: e.message,
    stacktrace: e.stacktrace,
    timestamp: e.timestamp,
    taskName: e.taskName ?? null,
    location: e.location ?? null,
    taskManagerId: e.location ?? null,
    concurrentExceptions: [],
  }));
  const root = exceptions[0];
  return {
    'root-exception': root?.stacktrace ?? null,
    timestamp: root?.timestamp ?? null,
    'all-exceptions': [],
    truncated: exceptions.length > maxExceptions,
    exceptionHistory: { entries, truncated: exceptions.length > maxExceptions },
  };
}
