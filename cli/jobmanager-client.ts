// A thin client of the JobManager REST API (docs/rest-api.md) for the `brook`
// client commands: one request at a time with node's fetch, errors that name
// the JobManager's URL and its answer, and polling of savepoint operations.
import { setTimeout as sleep } from 'node:timers/promises';
import { BrookError } from '../runtime/errors.ts';

export class JobManagerRequestError extends BrookError {
  constructor(
    readonly url: string,
    /** The HTTP status, when the JobManager answered. */
    readonly status: number | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('BROOK_JOBMANAGER_REQUEST', message, options);
  }
}

/** The innermost message of a fetch failure ("fetch failed" says nothing; its cause does). */
function networkReason(error: unknown): string {
  let current: unknown = error;
  let reason = error instanceof Error ? error.message : String(error);
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current.message) reason = current.message;
    current = current.cause;
  }
  return reason;
}

function errorsOf(body: unknown): string[] {
  const errors = (body as { errors?: unknown } | undefined)?.errors;
  return Array.isArray(errors) ? errors.map(String) : [];
}

/**
 * Sends one request and returns the parsed JSON answer; any non-2xx answer or
 * network failure throws a JobManagerRequestError naming `base`.
 */
export async function jobManagerRequest<T>(
  base: string,
  method: 'GET' | 'POST' | 'PATCH',
  path: string,
  body?: unknown,
  timeoutMs = 30_000,
): Promise<T> {
  const root = base.replace(/\/+$/, '');
  let response: Response;
  try {
    response = await fetch(`${root}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new JobManagerRequestError(
      root,
      undefined,
      `cannot reach the JobManager at ${root} (${method} ${path}): ${networkReason(error)}`,
      { cause: error },
    );
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const reasons = errorsOf(parsed);
    const reason = reasons.length > 0 ? reasons.join('; ') : text.slice(0, 200) || response.statusText;
    throw new JobManagerRequestError(
      root,
      response.status,
      `the JobManager at ${root} refused ${method} ${path}: ${reason} (HTTP ${response.status})`,
    );
  }
  if (parsed === undefined && text !== '') {
    throw new JobManagerRequestError(root, response.status, `the JobManager at ${root} answered ${path} with non-JSON`);
  }
  return parsed as T;
}

export interface SavepointOperation {
  status: { id: 'IN_PROGRESS' | 'COMPLETED' };
  operation?: {
    location?: string;
    'failure-cause'?: { class?: string; message?: string; 'stack-trace'?: string };
  } | null;
}

export class SavepointFailedError extends BrookError {
  constructor(jobId: string, kind: string, reason: string) {
    super('BROOK_SAVEPOINT_FAILED', `${kind} of job ${jobId} failed: ${reason}`);
  }
}

/** Polls a savepoint or stop operation until it completes; resolves with the savepoint's location. */
export async function waitForSavepoint(
  base: string,
  jobId: string,
  triggerId: string,
  kind: 'savepoint' | 'stop',
): Promise<string> {
  for (let delay = 100; ; delay = Math.min(1000, Math.round(delay * 1.5))) {
    const result = await jobManagerRequest<SavepointOperation>(base, 'GET', `/jobs/${jobId}/savepoints/${triggerId}`);
    if (result.status.id === 'COMPLETED') {
      const location = result.operation?.location;
      if (location) return location;
      const cause = result.operation?.['failure-cause'];
      throw new SavepointFailedError(jobId, kind, cause?.message ?? cause?.class ?? 'no reason given');
    }
    await sleep(delay);
  }
}
