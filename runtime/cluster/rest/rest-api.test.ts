// The REST API's contract, endpoint by endpoint, against the mini-cluster
// backend running a real job: Flink's JSON shapes, savepoints and stops that
// leave real directories behind, and Flink's errors (404, 405, 409, 400) with
// a JSON body that says what is wrong.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call -- the answers are untyped JSON, probed field by field against Flink's shapes */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { eventually, startTestJob, type TestJob } from './rest-test-job.test-helper.ts';

const jobs: TestJob[] = [];
after(async () => {
  await Promise.all(jobs.map((j) => j.close()));
});

async function job(options?: Parameters<typeof startTestJob>[0]): Promise<TestJob> {
  const started = await startTestJob(options);
  jobs.push(started);
  return started;
}

/** Waits for a savepoint operation to complete and returns its result. */
async function completed(j: TestJob, triggerId: string) {
  return eventually(async () => {
    const { status, json } = await j.call('GET', `/jobs/${j.jobId}/savepoints/${triggerId}`);
    assert.equal(status, 200);
    return json.status.id === 'COMPLETED' ? json : undefined;
  }, `savepoint ${triggerId} completed`);
}

function bytesUnder(directory: string): number {
  return readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .reduce((sum, e) => sum + statSync(join(e.parentPath, e.name)).size, 0);
}

const hex32 = /^[0-9a-f]{32}$/;

test('GET /overview, /config, /jobs, /jobs/overview and /taskmanagers describe the one running job', async () => {
  const j = await job();
  const overview = await j.call('GET', '/overview');
  assert.equal(overview.status, 200);
  assert.match(overview.headers.get('content-type')!, /^application\/json/);
  assert.equal(overview.json['jobs-running'], 1);
  assert.equal(overview.json['jobs-finished'], 0);
  assert.equal(overview.json.taskmanagers, 1);
  assert.equal(overview.json['slots-total'], 2, 'one slot per instance of the widest vertex');
  assert.equal(overview.json['slots-available'], 0);
  assert.equal(typeof overview.json['flink-version'], 'string');

  const config = await j.call('GET', '/config');
  assert.equal(config.status, 200);
  assert.deepEqual(Object.keys(config.json).sort(), [
    'features',
    'flink-revision',
    'flink-version',
    'refresh-interval',
    'timezone-name',
    'timezone-offset',
  ]);

  assert.deepEqual((await j.call('GET', '/jobs')).json, { jobs: [{ id: j.jobId, status: 'RUNNING' }] });

  const list = (await j.call('GET', '/jobs/overview')).json.jobs;
  assert.equal(list.length, 1);
  assert.equal(list[0].jid, j.jobId);
  assert.equal(list[0].name, 'rest-contract');
  assert.equal(list[0].state, 'RUNNING');
  assert.equal(list[0]['end-time'], -1);
  // words (1 instance) + count/sink chain (2 instances)
  assert.equal(list[0].tasks.total, 3);
  assert.equal(list[0].tasks.running, 3);

  const tms = (await j.call('GET', '/taskmanagers')).json.taskmanagers;
  assert.equal(tms.length, 1);
  assert.equal(tms[0].slotsNumber, 2);
  assert.ok(Math.abs(tms[0].timeSinceLastHeartbeat - Date.now()) < 60_000, 'the time of the last heartbeat');
});

test('GET /jobs/:id gives state, times, vertices, status counts and the plan with its keyBy edge', async () => {
  const j = await job();
  const before = Date.now();
  const { status, json } = await j.call('GET', `/jobs/${j.jobId}`);
  assert.equal(status, 200);
  assert.equal(json.jid, j.jobId);
  assert.equal(json.name, 'rest-contract');
  assert.equal(json.state, 'RUNNING');
  assert.equal(json['end-time'], -1);
  assert.ok(json['start-time'] <= before && json.now >= before);
  assert.equal(json.duration, json.now - json['start-time']);
  assert.ok(json.timestamps.CREATED > 0 && json.timestamps.RUNNING >= json.timestamps.CREATED);
  assert.equal(json.timestamps.FINISHED, 0, 'states never reached are 0, as in Flink');
  assert.equal(json.maxParallelism, 128);
  assert.deepEqual(
    json.vertices.map((v: { id: string; parallelism: number; status: string }) => [v.id, v.parallelism, v.status]),
    [
      ['words', 1, 'RUNNING'],
      ['count', 2, 'RUNNING'],
    ],
  );
  assert.deepEqual(json.vertices[1].tasks.RUNNING, 2);
  assert.equal(json['status-counts'].RUNNING, 2);
  assert.equal(json.plan.jid, j.jobId);
  const [words, count] = json.plan.nodes;
  assert.deepEqual(words.inputs, []);
  assert.deepEqual(count.inputs, [{ num: 0, id: 'words', ship_strategy: 'HASH', exchange: 'pipelined_bounded' }]);
  assert.deepEqual(count.operators, ['count', 'held-sink']);
  assert.equal((await j.call('GET', `/jobs/${j.jobId}/status`)).json.status, 'RUNNING');
  assert.deepEqual((await j.call('GET', `/jobs/${j.jobId}/plan`)).json.plan, json.plan);
});

test('GET /jobs/:id/checkpoints counts completed checkpoints whose size and path match the files on disk', async () => {
  const j = await job({ checkpointIntervalMs: 50 });
  j.push('a', 'b', 'a');
  const stats = await eventually(async () => {
    const { json } = await j.call('GET', `/jobs/${j.jobId}/checkpoints`);
    return json.counts.completed >= 2 ? json : undefined;
  }, 'two checkpoints completed');
  const latest = stats.latest.completed;
  assert.equal(latest.className, 'completed');
  assert.equal(latest.status, 'COMPLETED');
  assert.equal(latest.is_savepoint, false);
  assert.equal(latest.checkpoint_type, 'CHECKPOINT');
  assert.equal(latest.discarded, false);
  assert.equal(latest.num_subtasks, 3);
  assert.equal(latest.num_acknowledged_subtasks, 3);
  assert.ok(latest.latest_ack_timestamp >= latest.trigger_timestamp);
  const directory = fileURLToPath(latest.external_path);
  assert.match(directory, new RegExp(`/checkpoints/${j.jobId}/chk-${latest.id}$`));
  assert.ok(existsSync(join(directory, '_metadata')));
  assert.equal(latest.state_size, bytesUnder(directory), 'state_size is every byte written for the checkpoint');
  assert.ok(stats.history.length >= 2);
  assert.equal(stats.history[0].id >= latest.id, true, 'history is newest first');
  assert.ok(stats.summary.state_size.max >= stats.summary.state_size.min);
  assert.equal(stats.latest.savepoint, null);
  assert.equal(stats.latest.restored, null);
  assert.equal(stats.counts.total, stats.counts.completed + stats.counts.failed + stats.counts.in_progress);
});

test('GET /jobs/:id/exceptions lists a failure the job restarted from, with its operator, newest first', async () => {
  const j = await job({ failOnceOn: 'boom' });
  j.push('boom');
  await eventually(
    async () => (j.tracker.info().restarts === 1 && j.tracker.state === 'RUNNING' ? true : undefined),
    'the job restarted',
  );
  const { status, json } = await j.call('GET', `/jobs/${j.jobId}/exceptions`);
  assert.equal(status, 200);
  const [entry] = json.exceptionHistory.entries;
  assert.equal(json.exceptionHistory.entries.length, 1);
  assert.equal(entry.exceptionName, 'BROOK_USER_FUNCTION_FAILED');
  assert.match(entry.message, /refusing 'boom' once/);
  assert.match(entry.stacktrace, /Caused by: Error: refusing 'boom' once/);
  assert.equal(entry.taskName, 'count');
  assert.equal(json['root-exception'], entry.stacktrace);
  assert.equal(json.timestamp, entry.timestamp);
  assert.equal((await j.call('GET', `/jobs/${j.jobId}`)).json.restarts, 1);

  const limited = await j.call('GET', `/jobs/${j.jobId}/exceptions?maxExceptions=abc`);
  assert.equal(limited.status, 400);
  assert.match(limited.json.errors[0], /maxExceptions/);
});

test('POST /jobs/:id/savepoints takes a savepoint into target-directory and reports its location', async () => {
  const j = await job();
  j.push('x', 'y', 'x');
  const target = `file://${j.dir}/chosen`;
  const trigger = await j.call('POST', `/jobs/${j.jobId}/savepoints`, { 'target-directory': target });
  assert.equal(trigger.status, 202);
  assert.match(trigger.json['request-id'], hex32);
  const result = await completed(j, trigger.json['request-id']);
  const location: string = result.operation.location;
  assert.match(location, new RegExp(`^${target}/savepoint-${j.jobId.slice(0, 6)}-[0-9a-f]{12}$`));
  assert.ok(existsSync(join(fileURLToPath(location), '_metadata')), 'the savepoint is complete on disk');
  assert.equal(j.tracker.state, 'RUNNING', 'a savepoint leaves the job running');

  const stats = (await j.call('GET', `/jobs/${j.jobId}/checkpoints`)).json;
  assert.equal(stats.latest.savepoint.external_path, location);
  assert.equal(stats.latest.savepoint.is_savepoint, true);
  assert.equal(stats.latest.savepoint.checkpoint_type, 'SAVEPOINT');
});

test('a retried savepoint request with the same triggerId returns the same operation and takes one savepoint', async () => {
  const j = await job();
  const target = `file://${j.dir}/retried`;
  const triggerId = 'ABCDEF0123456789abcdef0123456789';
  const first = await j.call('POST', `/jobs/${j.jobId}/savepoints`, { 'target-directory': target, triggerId });
  assert.equal(first.status, 202);
  assert.equal(first.json['request-id'], triggerId.toLowerCase());
  await completed(j, first.json['request-id']);
  const retry = await j.call('POST', `/jobs/${j.jobId}/savepoints`, { 'target-directory': target, triggerId });
  assert.equal(retry.status, 202);
  assert.equal(retry.json['request-id'], first.json['request-id']);
  assert.equal(readdirSync(fileURLToPath(target)).length, 1, 'one savepoint directory');
  const asStop = await j.call('POST', `/jobs/${j.jobId}/stop`, { triggerId });
  assert.equal(asStop.status, 409, 'the same trigger id cannot name a stop');
});

test('a savepoint requested while another is in progress is refused with 409 naming the running one', async () => {
  const j = await job();
  j.holdSink();
  j.push('held');
  await eventually(async () => (j.written.includes('held') ? true : undefined), 'the sink holds a write');
  const first = await j.call('POST', `/jobs/${j.jobId}/savepoints`, {});
  assert.equal(first.status, 202);
  const pending = await j.call('GET', `/jobs/${j.jobId}/savepoints/${first.json['request-id']}`);
  assert.deepEqual(pending.json, { status: { id: 'IN_PROGRESS' }, operation: null });
  const second = await j.call('POST', `/jobs/${j.jobId}/savepoints`, {});
  assert.equal(second.status, 409);
  assert.match(
    second.json.errors[0],
    new RegExp(`savepoint of job ${j.jobId} is in progress .*${first.json['request-id']}`),
  );
  const stop = await j.call('POST', `/jobs/${j.jobId}/stop`, {});
  assert.equal(stop.status, 409);
  j.releaseSink();
  const result = await completed(j, first.json['request-id']);
  assert.ok(existsSync(join(fileURLToPath(result.operation.location), '_metadata')));
});

test('bad request bodies are refused with 400 naming the field', async () => {
  const j = await job();
  const path = `/jobs/${j.jobId}/savepoints`;
  const cases: [body: unknown, message: RegExp][] = [
    [{ 'cancel-job': 'yes' }, /field 'cancel-job'/],
    [{ 'target-directory': 'relative/dir' }, /field 'target-directory': expected a file:\/\/\/path or s3:\/\/bucket/],
    [{ triggerId: 'not-hex' }, /field 'triggerId': expected 32 hexadecimal characters/],
    [{ targetDirectory: '/tmp/x' }, /unknown field 'targetDirectory'/],
    ['{"cancel-job": tru', /request body is not valid JSON/],
    [[1, 2], /expected object/],
  ];
  for (const [body, message] of cases) {
    const { status, json } = await j.call('POST', path, body);
    assert.equal(status, 400, JSON.stringify(body));
    assert.match(json.errors[0], message);
  }
  const stop = await j.call('POST', `/jobs/${j.jobId}/stop`, { drain: 'please' });
  assert.equal(stop.status, 400);
  assert.match(stop.json.errors[0], /field 'drain'/);
  assert.equal(j.tracker.state, 'RUNNING');
});

test('unknown jobs, triggers and paths are 404 and a wrong method is 405, each with a JSON errors body', async () => {
  const j = await job();
  const unknown = 'ffffffffffffffffffffffffffffffff';
  for (const [method, path] of [
    ['GET', `/jobs/${unknown}`],
    ['GET', `/jobs/${unknown}/checkpoints`],
    ['GET', `/jobs/${unknown}/exceptions`],
    ['POST', `/jobs/${unknown}/savepoints`],
    ['POST', `/jobs/${unknown}/stop`],
    ['PATCH', `/jobs/${unknown}?mode=cancel`],
  ] as const) {
    const { status, headers, json } = await j.call(method, path, method === 'POST' ? {} : undefined);
    assert.equal(status, 404, `${method} ${path}`);
    assert.match(headers.get('content-type')!, /^application\/json/);
    assert.deepEqual(json, { errors: [`job ${unknown} not found`] });
  }
  const trigger = await j.call('GET', `/jobs/${j.jobId}/savepoints/${unknown}`);
  assert.equal(trigger.status, 404);
  assert.match(trigger.json.errors[0], new RegExp(`no savepoint operation with trigger id ${unknown}`));
  const path = await j.call('GET', '/no/such/path');
  assert.deepEqual([path.status, path.json], [404, { errors: ['not found: /no/such/path'] }]);
  const method = await j.call('DELETE', '/jobs');
  assert.equal(method.status, 405);
  assert.equal(method.headers.get('allow'), 'GET');
  assert.match(method.json.errors[0], /method DELETE is not allowed on \/jobs/);
  assert.equal((await j.call('GET', `/v1/jobs/${j.jobId}/status`)).json.status, 'RUNNING', "Flink's /v1 prefix");
});

test('POST /jobs/:id/stop stops the job with a savepoint; afterwards the job is FINISHED and refuses savepoints', async () => {
  const j = await job();
  j.push('p', 'q');
  const stop = await j.call('POST', `/jobs/${j.jobId}/stop`, { targetDirectory: `${j.dir}/stopped`, drain: false });
  assert.equal(stop.status, 202);
  const result = await completed(j, stop.json['request-id']);
  const location: string = result.operation.location;
  assert.match(location, new RegExp(`^file://${j.dir}/stopped/savepoint-`));
  const outcome = await j.outcome;
  assert.equal(outcome.result?.savepoint, location, 'execute() ended with this savepoint');
  const details = (await j.call('GET', `/jobs/${j.jobId}`)).json;
  assert.equal(details.state, 'FINISHED');
  assert.ok(details['end-time'] >= details['start-time']);
  assert.equal(details.duration, details['end-time'] - details['start-time']);
  const again = await j.call('POST', `/jobs/${j.jobId}/savepoints`, {});
  assert.equal(again.status, 409);
  assert.match(again.json.errors[0], /is not running \(state FINISHED\)/);
  const cancel = await j.call('PATCH', `/jobs/${j.jobId}?mode=cancel`);
  assert.equal(cancel.status, 409);
  assert.match(cancel.json.errors[0], /already reached terminal state FINISHED/);
});

test('stop with drain completes with a savepoint and the job finishes', async () => {
  const j = await job();
  const stop = await j.call('POST', `/jobs/${j.jobId}/stop`, { targetDirectory: `${j.dir}/drained`, drain: true });
  assert.equal(stop.status, 202);
  const result = await completed(j, stop.json['request-id']);
  assert.match(result.operation.location, /drained\/savepoint-/);
  await j.outcome;
  assert.equal(j.tracker.state, 'FINISHED');
});

test('PATCH /jobs/:id?mode=cancel cancels the job (202, idempotent); another mode is 400', async () => {
  const j = await job();
  const wrong = await j.call('PATCH', `/jobs/${j.jobId}?mode=stop`);
  assert.equal(wrong.status, 400);
  assert.match(wrong.json.errors[0], /'mode' must be 'cancel'/);
  const cancel = await j.call('PATCH', `/jobs/${j.jobId}?mode=cancel`);
  assert.deepEqual([cancel.status, cancel.json], [202, {}]);
  const { error } = await j.outcome;
  assert.equal((error as { code?: string }).code, 'BROOK_JOB_CANCELLED');
  const details = (await j.call('GET', `/jobs/${j.jobId}`)).json;
  assert.equal(details.state, 'CANCELED');
  assert.ok(details.timestamps.CANCELLING > 0 && details.timestamps.CANCELED >= details.timestamps.CANCELLING);
  assert.equal((await j.call('PATCH', `/jobs/${j.jobId}?mode=cancel`)).status, 202);
  assert.equal((await j.call('GET', '/overview')).json['jobs-cancelled'], 1);
});

test('a savepoint with cancel-job ends the job CANCELED after the savepoint completed', async () => {
  const j = await job();
  const trigger = await j.call('POST', `/jobs/${j.jobId}/savepoints`, { 'cancel-job': true });
  assert.equal(trigger.status, 202);
  const result = await completed(j, trigger.json['request-id']);
  const location: string = result.operation.location;
  assert.match(location, new RegExp(`^file://${j.dir}/savepoints/savepoint-`), 'the default savepoint directory');
  assert.equal((await j.outcome).result?.savepoint, location);
  assert.equal((await j.call('GET', `/jobs/${j.jobId}/status`)).json.status, 'CANCELED');
});
