// The operator's client of a JobManager's REST API (docs/rest-api.md): the
// few calls it observes and acts through, answers parsed with zod where they
// enter, and failures as typed errors naming the JobManager and the call.
import { z } from 'zod';
import { BrookError } from '../../runtime/errors.ts';
import { jobStates, type JobState } from '../resource/stream-deployment-status.ts';

export class JobManagerRestError extends BrookError {
  constructor(
    readonly url: string,
    /** The HTTP status, when the JobManager answered. */
    readonly status: number | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('BROOK_OPERATOR_JOBMANAGER_REST', message, options);
  }
}

const jobsBody = z.object({ jobs: z.array(z.object({ id: z.string(), status: z.string() })) });
const jobBody = z.looseObject({
  jid: z.string(),
  state: z.string(),
  'start-time': z.number().optional(),
  restarts: z.number().int().optional(),
});
const exceptionsBody = z.looseObject({ 'root-exception': z.string().nullish() });
const completedCheckpoint = z.looseObject({
  id: z.number().int(),
  external_path: z.string(),
  latest_ack_timestamp: z.number(),
});
const checkpointsBody = z.looseObject({
  latest: z.looseObject({ completed: completedCheckpoint.nullish() }).nullish(),
});
const triggerBody = z.object({ 'request-id': z.string() });
const operationBody = z.object({
  status: z.object({ id: z.enum(['IN_PROGRESS', 'COMPLETED']) }),
  operation: z
    .looseObject({
      location: z.string().optional(),
      'failure-cause': z.looseObject({ class: z.string().optional(), message: z.string().optional() }).optional(),
    })
    .nullish(),
});

export interface RestJob {
  id: string;
  state: JobState;
  startTime?: number;
  restarts: number;
}

export type TriggerResult =
  | { status: 'IN_PROGRESS' }
  | { status: 'COMPLETED'; path: string }
  | { status: 'FAILED'; failure: string }
  | { status: 'UNKNOWN' };

const knownStates = new Set<string>(jobStates);

export class JobManagerRest {
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs = 5_000,
  ) {}

  /** The ids of the jobs the JobManager knows. */
  async jobIds(): Promise<string[]> {
    return (await this.request('GET', '/jobs', jobsBody)).jobs.map((j) => j.id);
  }

  async job(jobId: string): Promise<RestJob> {
    const body = await this.request('GET', `/jobs/${jobId}`, jobBody);
    // A state this operator does not know yet is reported as not known rather than guessed.
    const state = knownStates.has(body.state) ? (body.state as JobState) : 'RECONCILING';
    return {
      id: body.jid,
      state,
      ...(body['start-time'] !== undefined && body['start-time'] > 0 ? { startTime: body['start-time'] } : {}),
      restarts: body.restarts ?? 0,
    };
  }

  /** The failure the job ended with (or last restarted from), if any. */
  async rootException(jobId: string): Promise<string | undefined> {
    const body = await this.request('GET', `/jobs/${jobId}/exceptions?maxExceptions=1`, exceptionsBody);
    return body['root-exception'] ?? undefined;
  }

  async latestCheckpoint(jobId: string): Promise<{ id: number; path: string; timestamp: number } | undefined> {
    const completed = (await this.request('GET', `/jobs/${jobId}/checkpoints`, checkpointsBody)).latest?.completed;
    return completed
      ? { id: completed.id, path: completed.external_path, timestamp: completed.latest_ack_timestamp }
      : undefined;
  }

  /** Sends a stop-with-savepoint or a savepoint under `triggerId`; sent twice, it is still one savepoint. */
  async triggerSavepoint(jobId: string, triggerId: string, targetDirectory: string, stop: boolean): Promise<void> {
    const target = targetDirectory === '' ? {} : stop ? { targetDirectory } : { 'target-directory': targetDirectory };
    const body = stop ? { ...target, drain: false, triggerId } : { ...target, 'cancel-job': false, triggerId };
    await this.request('POST', `/jobs/${jobId}/${stop ? 'stop' : 'savepoints'}`, triggerBody, body);
  }

  async trigger(jobId: string, triggerId: string): Promise<TriggerResult> {
    let body;
    try {
      body = await this.request('GET', `/jobs/${jobId}/savepoints/${triggerId}`, operationBody);
    } catch (error) {
      if (error instanceof JobManagerRestError && error.status === 404) return { status: 'UNKNOWN' };
      throw error;
    }
    if (body.status.id === 'IN_PROGRESS') return { status: 'IN_PROGRESS' };
    const location = body.operation?.location;
    if (location !== undefined) return { status: 'COMPLETED', path: location };
    const cause = body.operation?.['failure-cause'];
    return { status: 'FAILED', failure: cause?.message ?? cause?.class ?? 'no reason given' };
  }

  async cancel(jobId: string): Promise<void> {
    await this.request('PATCH', `/jobs/${jobId}?mode=cancel`, z.unknown());
  }

  private async request<S extends z.ZodType>(
    method: 'GET' | 'POST' | 'PATCH',
    path: string,
    schema: S,
    body?: unknown,
  ): Promise<z.output<S>> {
    const root = this.baseUrl.replace(/\/+$/, '');
    const call = `${method} ${path}`;
    let response: Response;
    try {
      response = await fetch(`${root}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new JobManagerRestError(root, undefined, `cannot reach the JobManager at ${root} (${call})`, {
        cause: error,
      });
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? {} : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const errors = (json as { errors?: unknown } | undefined)?.errors;
      const reason = Array.isArray(errors) ? errors.join('; ') : text.slice(0, 200);
      throw new JobManagerRestError(
        root,
        response.status,
        `the JobManager at ${root} refused ${call}: ${reason} (HTTP ${response.status})`,
      );
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new JobManagerRestError(
        root,
        response.status,
        `the JobManager at ${root} answered ${call} with an unexpected body: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    }
    return parsed.data;
  }
}
