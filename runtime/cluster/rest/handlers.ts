// What each REST route answers, given the parsed request: no HTTP here
// (server.ts does that), so every endpoint can be exercised directly.
import { isTerminal } from '../job-status.ts';
import type { JobInfo, JobsBackend, VertexInfo } from '../jobs-backend.ts';
import { checkpointingStatistics } from './checkpoint-views.ts';
import { clusterOverview, dashboardConfiguration, taskManagersInfo } from './cluster-views.ts';
import { jobDetails, jobExceptions, jobPlan, jobsList, jobsOverview, taskStateOf } from './job-views.ts';
import { parseBody, savepointTriggerBody, stopBody } from './request-bodies.ts';
import { RestError } from './rest-error.ts';
import type { RouteName } from './routes.ts';
import { decideTrigger, type Operation, type OperationKind, type TriggerStore } from './triggers.ts';
import {
  aggregatedSubtaskMetrics,
  isAggregation,
  vertexBackpressure,
  vertexDetails,
  vertexMetricList,
  vertexWatermarks,
} from './vertex-views.ts';

export interface RestContext {
  backend: JobsBackend;
  triggers: TriggerStore;
  /** Reported as `flink-version` (Brook's version). */
  version: string;
  now: () => number;
}

export interface RestRequest {
  route: RouteName;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body (undefined when there was none). */
  body: unknown;
}

export interface RestResponse {
  status: number;
  body: unknown;
}

const ok = (body: unknown): RestResponse => ({ status: 200, body });
const accepted = (body: unknown): RestResponse => ({ status: 202, body });

function jobOf(context: RestContext, jobId: string): JobInfo {
  const job = context.backend.jobs().find((j) => j.id === jobId);
  if (!job) throw new RestError(404, `job ${jobId} not found`);
  return job;
}

function vertexOf(job: JobInfo, vertexId: string): VertexInfo {
  const vertex = job.vertices.find((v) => v.id === vertexId);
  if (!vertex) throw new RestError(404, `job ${job.id} has no vertex ${vertexId}`);
  return vertex;
}

/** Flink's comma-separated `get` (metric names) and `agg` lists; absent: undefined. */
function listParameter(query: URLSearchParams, name: string): string[] | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function aggregationsParameter(query: URLSearchParams) {
  const agg = listParameter(query, 'agg') ?? [];
  const unknown = agg.find((a) => !isAggregation(a));
  if (unknown !== undefined) {
    throw new RestError(400, `query parameter 'agg' must list min, max, avg or sum, got '${unknown}'`);
  }
  return agg.filter(isAggregation);
}

function subtasksOf(job: JobInfo): number {
  return job.vertices.reduce((sum, v) => sum + v.parallelism, 0);
}

function positiveIntegerParameter(query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  if (!/^[1-9][0-9]*$/.test(raw)) {
    throw new RestError(400, `query parameter '${name}' must be a positive integer, got '${raw}'`);
  }
  return Number(raw);
}

/** Starts (or, for a retried triggerId, finds) a savepoint or stop; 409 when the job cannot take one now. */
function trigger(
  context: RestContext,
  job: JobInfo,
  kind: OperationKind,
  triggerId: string | undefined,
  run: () => Promise<string>,
): RestResponse {
  const decision = decideTrigger({
    jobId: job.id,
    jobState: job.state,
    kind,
    triggerId,
    operations: context.triggers.operationsOf(job.id),
  });
  if (decision.kind === 'conflict') throw new RestError(409, decision.message);
  const operation =
    decision.kind === 'existing' ? decision.operation : context.triggers.start(job.id, kind, triggerId, run);
  return accepted({ 'request-id': operation.triggerId });
}

/** Flink's AsynchronousOperationResult of a savepoint: the location, or the failure cause. */
export function operationResult(operation: Operation) {
  if (operation.status === 'IN_PROGRESS') return { status: { id: 'IN_PROGRESS' }, operation: null };
  const result = operation.failure
    ? {
        'failure-cause': {
          class: operation.failure.class,
          message: operation.failure.message,
          'stack-trace': operation.failure.stackTrace,
        },
      }
    : { location: operation.location };
  return { status: { id: 'COMPLETED' }, operation: result };
}

function cancel(context: RestContext, job: JobInfo, mode: string | null): Promise<RestResponse> | RestResponse {
  if (mode !== null && mode !== 'cancel') {
    const hint = mode === 'stop' ? ': stop a job with POST /jobs/:jobid/stop' : '';
    throw new RestError(400, `query parameter 'mode' must be 'cancel', got '${mode}'${hint}`);
  }
  if (job.state === 'CANCELED' || job.state === 'CANCELLING') return accepted({});
  if (isTerminal(job.state)) {
    throw new RestError(409, `job ${job.id} cannot be cancelled: it already reached terminal state ${job.state}`);
  }
  return context.backend.cancel(job.id).then(() => accepted({}));
}

export async function handle(request: RestRequest, context: RestContext): Promise<RestResponse> {
  const { backend } = context;
  const { params, query } = request;
  const now = context.now();
  switch (request.route) {
    case 'config':
      return ok(dashboardConfiguration(context.version, new Date(now)));
    case 'overview':
      return ok(clusterOverview(backend.jobs(), backend.taskManagers(), context.version));
    case 'jobs':
      return ok(jobsList(backend.jobs()));
    case 'jobs-overview':
      return ok(jobsOverview(backend.jobs(), now));
    case 'taskmanagers':
      return ok(taskManagersInfo(backend.taskManagers()));
    case 'job': {
      const job = jobOf(context, params.jobid!);
      return ok(jobDetails(job, now, backend.figures(job.id)));
    }
    case 'vertex': {
      const job = jobOf(context, params.jobid!);
      const vertex = vertexOf(job, params.vertexid!);
      return ok(vertexDetails(job, vertex, backend.figures(job.id), taskStateOf(job.state), now));
    }
    case 'vertex-backpressure': {
      const job = jobOf(context, params.jobid!);
      return ok(vertexBackpressure(vertexOf(job, params.vertexid!), backend.figures(job.id), now));
    }
    case 'vertex-watermarks': {
      const job = jobOf(context, params.jobid!);
      return ok(vertexWatermarks(vertexOf(job, params.vertexid!), backend.figures(job.id)));
    }
    case 'vertex-metrics': {
      const job = jobOf(context, params.jobid!);
      const vertex = vertexOf(job, params.vertexid!);
      return ok(vertexMetricList(vertex, backend.figures(job.id), listParameter(query, 'get')));
    }
    case 'vertex-subtask-metrics': {
      const job = jobOf(context, params.jobid!);
      const vertex = vertexOf(job, params.vertexid!);
      const agg = aggregationsParameter(query);
      return ok(aggregatedSubtaskMetrics(vertex, backend.figures(job.id), listParameter(query, 'get'), agg));
    }
    case 'job-status':
      return ok({ status: jobOf(context, params.jobid!).state });
    case 'job-plan':
      return ok({ plan: jobPlan(jobOf(context, params.jobid!)) });
    case 'job-cancel':
      return cancel(context, jobOf(context, params.jobid!), query.get('mode'));
    case 'job-checkpoints': {
      const job = jobOf(context, params.jobid!);
      return ok(checkpointingStatistics(backend.checkpoints(job.id), subtasksOf(job), now));
    }
    case 'job-exceptions': {
      const job = jobOf(context, params.jobid!);
      const max = positiveIntegerParameter(query, 'maxExceptions', 20);
      return ok(jobExceptions(backend.exceptions(job.id), max));
    }
    case 'savepoint-trigger': {
      const job = jobOf(context, params.jobid!);
      const body = parseBody(savepointTriggerBody, request.body, 'POST /jobs/:jobid/savepoints');
      return trigger(context, job, 'savepoint', body.triggerId, () =>
        backend.triggerSavepoint(job.id, { targetDirectory: body['target-directory'], cancelJob: body['cancel-job'] }),
      );
    }
    case 'stop': {
      const job = jobOf(context, params.jobid!);
      const body = parseBody(stopBody, request.body, 'POST /jobs/:jobid/stop');
      return trigger(context, job, 'stop', body.triggerId, () =>
        backend.stopWithSavepoint(job.id, { targetDirectory: body.targetDirectory, drain: body.drain }),
      );
    }
    case 'savepoint-status': {
      const operation = context.triggers.read(params.jobid!, params.triggerid!);
      if (!operation) {
        throw new RestError(
          404,
          `there is no savepoint operation with trigger id ${params.triggerid} for job ${params.jobid}`,
        );
      }
      return ok(operationResult(operation));
    }
  }
}
