// The REST API's paths (Flink's, where Flink has them) and the pure decision
// of which route a request takes: a match with its path parameters, an
// unknown path (404) or a known path with another method (405).

export type RouteName =
  | 'config'
  | 'overview'
  | 'jobs'
  | 'jobs-overview'
  | 'job'
  | 'job-cancel'
  | 'job-status'
  | 'job-plan'
  | 'job-checkpoints'
  | 'job-exceptions'
  | 'vertex'
  | 'vertex-backpressure'
  | 'vertex-watermarks'
  | 'vertex-metrics'
  | 'vertex-subtask-metrics'
  | 'savepoint-trigger'
  | 'savepoint-status'
  | 'stop'
  | 'taskmanagers';

export type HttpMethod = 'GET' | 'POST' | 'PATCH';

interface RouteSpec {
  name: RouteName;
  method: HttpMethod;
  /** Segments; `:name` is a parameter. */
  path: string;
}

export const routes: readonly RouteSpec[] = [
  { name: 'config', method: 'GET', path: '/config' },
  { name: 'overview', method: 'GET', path: '/overview' },
  { name: 'jobs', method: 'GET', path: '/jobs' },
  { name: 'jobs-overview', method: 'GET', path: '/jobs/overview' },
  { name: 'job', method: 'GET', path: '/jobs/:jobid' },
  { name: 'job-cancel', method: 'PATCH', path: '/jobs/:jobid' },
  { name: 'job-status', method: 'GET', path: '/jobs/:jobid/status' },
  { name: 'job-plan', method: 'GET', path: '/jobs/:jobid/plan' },
  { name: 'job-checkpoints', method: 'GET', path: '/jobs/:jobid/checkpoints' },
  { name: 'job-exceptions', method: 'GET', path: '/jobs/:jobid/exceptions' },
  { name: 'vertex', method: 'GET', path: '/jobs/:jobid/vertices/:vertexid' },
  { name: 'vertex-backpressure', method: 'GET', path: '/jobs/:jobid/vertices/:vertexid/backpressure' },
  { name: 'vertex-watermarks', method: 'GET', path: '/jobs/:jobid/vertices/:vertexid/watermarks' },
  { name: 'vertex-metrics', method: 'GET', path: '/jobs/:jobid/vertices/:vertexid/metrics' },
  { name: 'vertex-subtask-metrics', method: 'GET', path: '/jobs/:jobid/vertices/:vertexid/subtasks/metrics' },
  { name: 'savepoint-trigger', method: 'POST', path: '/jobs/:jobid/savepoints' },
  { name: 'savepoint-status', method: 'GET', path: '/jobs/:jobid/savepoints/:triggerid' },
  { name: 'stop', method: 'POST', path: '/jobs/:jobid/stop' },
  { name: 'taskmanagers', method: 'GET', path: '/taskmanagers' },
];

export type RouteMatch =
  | { kind: 'match'; route: RouteName; params: Record<string, string> }
  | { kind: 'not-found'; path: string }
  | { kind: 'method-not-allowed'; allow: HttpMethod[] };

function matchPath(pattern: string, segments: string[]): Record<string, string> | undefined {
  const parts = pattern.split('/').filter(Boolean);
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of parts.entries()) {
    const segment = segments[i]!;
    if (part.startsWith(':')) params[part.slice(1)] = segment;
    else if (part !== segment) return undefined;
  }
  return params;
}

function decodeSegments(pathname: string): string[] | undefined {
  try {
    return pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

/**
 * Which route `method pathname` takes. Flink's `/v1` prefix is accepted and a
 * trailing slash ignored. The most literal path wins: `/jobs/overview` is the
 * overview for every method, never job `overview`.
 */
export function matchRoute(method: string, pathname: string): RouteMatch {
  let segments = decodeSegments(pathname);
  if (!segments) return { kind: 'not-found', path: pathname };
  if (segments[0] === 'v1') segments = segments.slice(1);
  const matching = routes
    .map((spec) => ({ spec, params: matchPath(spec.path, segments) }))
    .filter((m): m is { spec: RouteSpec; params: Record<string, string> } => m.params !== undefined);
  if (matching.length === 0) return { kind: 'not-found', path: pathname };
  const parameterCount = (m: (typeof matching)[number]) => Object.keys(m.params).length;
  const fewest = Math.min(...matching.map(parameterCount));
  const candidates = matching.filter((m) => parameterCount(m) === fewest);
  const hit = candidates.find((m) => m.spec.method === method);
  if (hit) return { kind: 'match', route: hit.spec.name, params: hit.params };
  return { kind: 'method-not-allowed', allow: candidates.map((m) => m.spec.method) };
}
