// Job state decisions: Flink's transition graph enumerated, the terminal state
// of each outcome, and how a failure becomes an exception record.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canTransition, exceptionRecordOf, terminalStateFor } from './job-status.ts';
import { jobStates, type JobState } from './jobs-backend.ts';
import { UserFunctionError } from '../execution/user-function-error.ts';

const states = jobStates;

// Every allowed move, written out independently of job-status.ts's table.
const allowed = new Set([
  'CREATED>RUNNING',
  'CREATED>FAILING',
  'CREATED>FAILED',
  'CREATED>CANCELLING',
  'CREATED>CANCELED',
  'CREATED>SUSPENDED',
  'RUNNING>RESTARTING',
  'RUNNING>FAILING',
  'RUNNING>FAILED',
  'RUNNING>CANCELLING',
  'RUNNING>CANCELED',
  'RUNNING>FINISHED',
  'RUNNING>SUSPENDED',
  'RESTARTING>RUNNING',
  'RESTARTING>FAILING',
  'RESTARTING>FAILED',
  'RESTARTING>CANCELLING',
  'RESTARTING>CANCELED',
  'RESTARTING>SUSPENDED',
  'FAILING>RESTARTING',
  'FAILING>FAILED',
  'FAILING>CANCELLING',
  'FAILING>CANCELED',
  'CANCELLING>CANCELED',
  'CANCELLING>FAILED',
  'CANCELLING>FINISHED',
]);

for (const from of states) {
  test(`from ${from}, exactly the allowed states are reachable`, () => {
    for (const to of states) assert.equal(canTransition(from, to), allowed.has(`${from}>${to}`), `${from} → ${to}`);
  });
}

test('terminal states: a failure fails, a cancellation cancels, a finish finishes unless a cancel was under way', () => {
  const cases: [JobState, 'finished' | 'cancelled' | 'failed', JobState][] = [
    ['RUNNING', 'finished', 'FINISHED'],
    ['RUNNING', 'cancelled', 'CANCELED'],
    ['RUNNING', 'failed', 'FAILED'],
    ['CANCELLING', 'finished', 'CANCELED'],
    ['CANCELLING', 'failed', 'FAILED'],
    ['RESTARTING', 'cancelled', 'CANCELED'],
  ];
  for (const [current, outcome, expected] of cases) assert.equal(terminalStateFor(current, outcome), expected);
});

test('an exception record carries the Brook code, the message, the cause chain and the failing operator', () => {
  const cause = new Error('four is not allowed');
  const error = new UserFunctionError('reject-four', 'k', 'on record 4', cause);
  const record = exceptionRecordOf(error, 1234, { location: 'host:1' });
  assert.equal(record.exceptionName, 'BROOK_USER_FUNCTION_FAILED');
  assert.equal(record.message, "operator 'reject-four' failed for key 'k' on record 4: four is not allowed");
  assert.match(record.stacktrace, /^UserFunctionError: operator 'reject-four'/);
  assert.match(record.stacktrace, /\nCaused by: Error: four is not allowed/);
  assert.equal(record.taskName, 'reject-four');
  assert.equal(record.location, 'host:1');
  assert.equal(record.timestamp, 1234);
  const plain = exceptionRecordOf('just a string', 5);
  assert.deepEqual([plain.exceptionName, plain.message, plain.taskName], ['Error', 'just a string', undefined]);
});
