// The dashboard's calls to the JobManager's REST API (the same API the `brook`
// CLI and the operator use): JSON in and out, Flink's `{"errors": [...]}` as an Error.

/** Thrown for an answer other than 2xx; `message` is the API's own. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function call(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const json = text ? JSON.parse(text) : undefined;
  if (!response.ok) {
    const message = json && Array.isArray(json.errors) ? json.errors.join('; ') : `HTTP ${response.status}`;
    throw new ApiError(response.status, message);
  }
  return json;
}

export const getJson = (path) => call('GET', path);
export const postJson = (path, body) => call('POST', path, body ?? {});
export const patch = (path) => call('PATCH', path);

/** Resolves once `test(value)` holds for a polled value; bounded by `timeoutMs`. */
export async function pollUntil(probe, test, { intervalMs = 500, timeoutMs = 10 * 60_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (test(value)) return value;
    if (Date.now() > deadline) throw new Error(`gave up after ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
