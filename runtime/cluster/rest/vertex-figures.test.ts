// The per-vertex figures of the REST API against a real job on the
// mini-cluster: record counts equal what the test pushed and the sink wrote,
// backpressure shows while the test holds the sink and goes once it lets go,
// and the vertex endpoints answer in Flink's shapes (404 for an unknown vertex).
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-explicit-any -- the answers are untyped JSON, probed field by field against Flink's shapes */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { eventually, startTestJob, type TestJob } from './rest-test-job.test-helper.ts';
import { NO_WATERMARK_TEXT } from './vertex-views.ts';

const jobs: TestJob[] = [];
after(async () => {
  await Promise.all(jobs.map((j) => j.close()));
});

async function job(): Promise<TestJob> {
  const started = await startTestJob();
  jobs.push(started);
  return started;
}

const words = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}-${i % 97}`);

test('GET /jobs/:jobid counts, per vertex, the records the test pushed and the sink wrote', async () => {
  const j = await job();
  const pushed = words(500, 'a');
  j.push(...pushed);
  // warm-up + the pushed words
  const total = pushed.length + 1;
  await eventually(async () => (j.written.length === total ? true : undefined), 'the sink wrote every word');
  const details = await eventually(async () => {
    const { json } = await j.call('GET', `/jobs/${j.jobId}`);
    const byId = new Map(json.vertices.map((v: { id: string }) => [v.id, v]));
    const count: any = byId.get('count');
    return count.metrics['read-records'] === total ? byId : undefined;
  }, 'the count vertex read every word');
  const source: any = details.get('words');
  const count: any = details.get('count');
  // A source reads nothing from other tasks (Flink's numRecordsIn); it writes every word downstream.
  assert.equal(source.metrics['read-records'], 0);
  assert.equal(source.metrics['write-records'], total);
  assert.equal(source.metrics['write-records-complete'], true);
  // The keyed count is chained with the sink, which emits nothing.
  assert.equal(count.metrics['read-records'], j.written.length);
  assert.equal(count.metrics['write-records'], 0);
  assert.equal(count.metrics['read-records-complete'], true);
  assert.equal(count.metrics['read-bytes-complete'], false, 'bytes are not counted');
  assert.deepEqual([count.tasks.RUNNING, count.tasks.FINISHED], [2, 0]);
  assert.ok(count.metrics['accumulated-busy-time'] + count.metrics['accumulated-idle-time'] > 0);

  const vertex = (await j.call('GET', `/jobs/${j.jobId}/vertices/count`)).json;
  assert.equal(vertex.id, 'count');
  assert.equal(vertex.parallelism, 2);
  assert.deepEqual(
    vertex.subtasks.map((s: { subtask: number; status: string }) => [s.subtask, s.status]),
    [
      [0, 'RUNNING'],
      [1, 'RUNNING'],
    ],
  );
  const perSubtask = vertex.subtasks.map((s: any) => s.metrics['read-records']);
  assert.equal(perSubtask[0] + perSubtask[1], total);
  assert.ok(
    perSubtask.every((n: number) => n > 0),
    `both subtasks got words by key: ${perSubtask.join(', ')}`,
  );
  assert.equal(typeof vertex.subtasks[0]['taskmanager-id'], 'string');
});

test('backpressure: high at the source while the test holds the sink, ok again once it lets go', async () => {
  const j = await job();
  j.holdSink();
  j.push(...words(20_000, 'b'));
  const held = await eventually(async () => {
    const { status, json } = await j.call('GET', `/jobs/${j.jobId}/vertices/words/backpressure`);
    assert.equal(status, 200);
    return json['backpressure-level'] === 'high' ? json : undefined;
  }, 'the source is backpressured');
  assert.equal(held.status, 'ok');
  assert.equal(held.subtasks.length, 1);
  const [subtask] = held.subtasks;
  assert.equal(subtask['backpressure-level'], 'high');
  assert.ok(subtask.ratio > 0.5, `ratio ${subtask.ratio}`);
  assert.ok(Math.abs(subtask.ratio + subtask.busyRatio + subtask.idleRatio - 1) < 1e-9, 'the ratios add up to 1');
  assert.ok(held['end-timestamp'] <= Date.now());

  j.releaseSink();
  await eventually(async () => (j.written.length === 20_001 ? true : undefined), 'the sink wrote every word');
  await eventually(async () => {
    const { json } = await j.call('GET', `/jobs/${j.jobId}/vertices/words/backpressure`);
    return json['backpressure-level'] === 'ok' ? json : undefined;
  }, 'the backpressure is gone');
});

test('watermarks, metrics and aggregated subtask metrics of a vertex, by Flink names; unknown vertex 404', async () => {
  const j = await job();
  const pushed = words(100, 'c');
  j.push(...pushed);
  await eventually(async () => (j.written.length === 101 ? true : undefined), 'the sink wrote every word');

  // The job assigns no timestamps: no watermark has reached the count, shown as Flink's Long.MIN_VALUE.
  const watermarks = (await j.call('GET', `/jobs/${j.jobId}/vertices/count/watermarks`)).json;
  assert.deepEqual(watermarks, [
    { id: '0.currentInputWatermark', value: NO_WATERMARK_TEXT },
    { id: '1.currentInputWatermark', value: NO_WATERMARK_TEXT },
  ]);

  const available = (await j.call('GET', `/jobs/${j.jobId}/vertices/words/metrics`)).json;
  assert.ok(available.some((m: { id: string }) => m.id === '0.numRecordsOut'));
  assert.ok(
    available.every((m: { value?: string }) => m.value === undefined),
    'ids only without get',
  );
  const picked = (await j.call('GET', `/jobs/${j.jobId}/vertices/words/metrics?get=0.numRecordsOut,0.nonsense`)).json;
  assert.deepEqual(picked, [{ id: '0.numRecordsOut', value: '101' }]);

  const summed = (
    await j.call('GET', `/jobs/${j.jobId}/vertices/count/subtasks/metrics?get=numRecordsIn,numRecordsOut&agg=sum,max`)
  ).json;
  assert.equal(summed.length, 2);
  assert.equal(summed[0].id, 'numRecordsIn');
  assert.equal(summed[0].sum, 101);
  assert.ok(summed[0].max < 101 && summed[0].max > 0);
  assert.equal(summed[0].min, undefined, 'only the aggregations asked for');
  assert.deepEqual(summed[1], { id: 'numRecordsOut', sum: 0, max: 0 });

  const badAgg = await j.call('GET', `/jobs/${j.jobId}/vertices/count/subtasks/metrics?get=numRecordsIn&agg=median`);
  assert.equal(badAgg.status, 400);
  assert.match(badAgg.json.errors[0], /'agg' must list min, max, avg or sum, got 'median'/);

  for (const path of ['', '/backpressure', '/watermarks', '/metrics']) {
    const missing = await j.call('GET', `/jobs/${j.jobId}/vertices/nope${path}`);
    assert.equal(missing.status, 404, path);
    assert.match(missing.json.errors[0], new RegExp(`job ${j.jobId} has no vertex nope`));
  }
  const unknownJob = await j.call('GET', `/jobs/${'0'.repeat(32)}/vertices/count`);
  assert.equal(unknownJob.status, 404);
});
