// Route matching, case by case: Flink's paths with their parameters, literal
// paths before parameters, /v1 and trailing slashes, 404 and 405 with Allow.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchRoute, type RouteMatch } from './routes.ts';

const job = '0123456789abcdef0123456789abcdef';
const trigger = 'fedcba9876543210fedcba9876543210';

const cases: [method: string, path: string, expected: RouteMatch][] = [
  ['GET', '/config', { kind: 'match', route: 'config', params: {} }],
  ['GET', '/overview', { kind: 'match', route: 'overview', params: {} }],
  ['GET', '/jobs', { kind: 'match', route: 'jobs', params: {} }],
  ['GET', '/jobs/', { kind: 'match', route: 'jobs', params: {} }],
  ['GET', '/v1/jobs', { kind: 'match', route: 'jobs', params: {} }],
  ['GET', '/jobs/overview', { kind: 'match', route: 'jobs-overview', params: {} }],
  ['GET', `/jobs/${job}`, { kind: 'match', route: 'job', params: { jobid: job } }],
  ['PATCH', `/jobs/${job}`, { kind: 'match', route: 'job-cancel', params: { jobid: job } }],
  ['GET', `/jobs/${job}/status`, { kind: 'match', route: 'job-status', params: { jobid: job } }],
  ['GET', `/jobs/${job}/plan`, { kind: 'match', route: 'job-plan', params: { jobid: job } }],
  ['GET', `/jobs/${job}/checkpoints`, { kind: 'match', route: 'job-checkpoints', params: { jobid: job } }],
  ['GET', `/jobs/${job}/exceptions`, { kind: 'match', route: 'job-exceptions', params: { jobid: job } }],
  ['POST', `/jobs/${job}/savepoints`, { kind: 'match', route: 'savepoint-trigger', params: { jobid: job } }],
  [
    'GET',
    `/jobs/${job}/savepoints/${trigger}`,
    { kind: 'match', route: 'savepoint-status', params: { jobid: job, triggerid: trigger } },
  ],
  ['POST', `/jobs/${job}/stop`, { kind: 'match', route: 'stop', params: { jobid: job } }],
  ['GET', '/taskmanagers', { kind: 'match', route: 'taskmanagers', params: {} }],
  ['GET', '/jobs/a%20b', { kind: 'match', route: 'job', params: { jobid: 'a b' } }],
  // Literal paths win for every method: PATCH /jobs/overview is not a cancel of job "overview".
  ['PATCH', '/jobs/overview', { kind: 'method-not-allowed', allow: ['GET'] }],
  ['DELETE', '/jobs', { kind: 'method-not-allowed', allow: ['GET'] }],
  ['PUT', `/jobs/${job}`, { kind: 'method-not-allowed', allow: ['GET', 'PATCH'] }],
  ['GET', `/jobs/${job}/savepoints`, { kind: 'method-not-allowed', allow: ['POST'] }],
  ['GET', `/jobs/${job}/stop`, { kind: 'method-not-allowed', allow: ['POST'] }],
  ['GET', '/', { kind: 'not-found', path: '/' }],
  ['GET', '/jobs/a/b/c/d', { kind: 'not-found', path: '/jobs/a/b/c/d' }],
  ['GET', '/jobs/%E0%A4%A', { kind: 'not-found', path: '/jobs/%E0%A4%A' }],
];

for (const [method, path, expected] of cases) {
  test(`${method} ${path} → ${expected.kind === 'match' ? expected.route : expected.kind}`, () => {
    assert.deepEqual(matchRoute(method, path), expected);
  });
}
