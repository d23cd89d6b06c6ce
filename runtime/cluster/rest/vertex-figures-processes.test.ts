// The per-vertex figures of a JobManager whose two TaskManagers are separate
// processes: the counters cross with the heartbeats, and the JobManager's sums
// equal what the job must do with its fixed input (RECORDS ticks, the even
// half passing the filter); rates and watermarks move while ticks flow.
/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-explicit-any -- the answers are untyped JSON, probed field by field against Flink's shapes */
import { strict as assert } from 'node:assert';
import { after, test } from 'node:test';
import { eventually } from './rest-test-job.test-helper.ts';
import { getJson, startProcessCluster, type JobProcessCluster } from './process-cluster.test-helper.ts';

const JOB = new URL('../../metrics/fixtures/metered-job.ts', import.meta.url).pathname;
const RECORDS = 3000;
const RATE = 1000;

const clusters: JobProcessCluster[] = [];
after(async () => {
  await Promise.all(clusters.map((c) => c.stop()));
});

const metric = (list: { id: string; value: string }[], id: string) => Number(list.find((m) => m.id === id)?.value);

test('a JobManager sums the figures its TaskManagers send: counts, rates, watermarks per vertex', async () => {
  const c = await startProcessCluster({ job: JOB, args: [String(RECORDS), String(RATE)], taskManagers: 2 });
  clusters.push(c);
  const base = `/jobs/${c.jobId}`;
  const vertices = async () => new Map((await getJson(c.restUrl, base)).vertices.map((v: any) => [v.id, v]));

  // While ticks flow: records per second near the generator's rate, watermarks advancing.
  const flowing = await eventually(async () => {
    const got = await getJson(c.restUrl, `${base}/vertices/ticks/subtasks/metrics?get=numRecordsOutPerSecond&agg=sum`);
    const rate = got[0]?.sum;
    return typeof rate === 'number' && rate > 0 ? rate : undefined;
  }, 'ticks flow');
  // The generator's rate, halved by the filter (the chain's output), within generous bounds on a busy machine.
  assert.ok(flowing > 0.05 * (RATE / 2) && flowing < 3 * (RATE / 2), `records out per second ${flowing}`);
  const watermark = async () => {
    const list = await getJson(c.restUrl, `${base}/vertices/sums/watermarks`);
    assert.deepEqual(
      list.map((m: { id: string }) => m.id),
      ['0.currentInputWatermark', '1.currentInputWatermark'],
    );
    return Math.min(...list.map((m: { value: string }) => Number(m.value)));
  };
  const first = await eventually(async () => {
    const w = await watermark();
    return w > 0 ? w : undefined;
  }, 'a watermark reached the sums');
  const later = await eventually(async () => {
    const w = await watermark();
    return w > first ? w : undefined;
  }, 'the watermark advances');
  assert.ok(later <= Date.now() + RECORDS * 10, 'event time is the generator clock: start + i * 10 ms');

  // Every tick generated: the filter passed the even half; the sums read those and the sink writes nothing on.
  const done = await eventually(
    async () => {
      const byId = await vertices();
      return (byId.get('sums') as any).metrics['read-records'] === RECORDS / 2 ? byId : undefined;
    },
    'every even tick reached the sums',
    60_000,
  );
  const ticks: any = done.get('ticks');
  const sums: any = done.get('sums');
  assert.equal(ticks.metrics['read-records'], 0);
  assert.equal(ticks.metrics['write-records'], RECORDS / 2);
  assert.equal(ticks.metrics['write-records-complete'], true);
  assert.equal(sums.metrics['write-records'], 0);
  assert.deepEqual([ticks.tasks.RUNNING, sums.tasks.RUNNING], [2, 2]);

  // Each subtask runs on its own TaskManager (one slot each).
  const detail = await getJson(c.restUrl, `${base}/vertices/sums`);
  const tms = new Set(detail.subtasks.map((s: any) => s['taskmanager-id']));
  const registered = (await getJson(c.restUrl, '/taskmanagers')).taskmanagers.map((tm: { id: string }) => tm.id);
  assert.deepEqual([...tms].sort(), registered.sort());
  const perSubtask = detail.subtasks.map((s: any) => s.metrics['read-records']);
  assert.equal(perSubtask[0] + perSubtask[1], RECORDS / 2);

  // The source is held open and idle now: no backpressure anywhere, and nothing flows.
  const pressure = await getJson(c.restUrl, `${base}/vertices/ticks/backpressure`);
  assert.equal(pressure.status, 'ok');
  assert.equal(pressure['backpressure-level'], 'ok');
  assert.equal(pressure.subtasks.length, 2);
  const rates = await eventually(async () => {
    const list = await getJson(
      c.restUrl,
      `${base}/vertices/ticks/metrics?get=0.numRecordsOutPerSecond,0.numRecordsOut`,
    );
    return metric(list, '0.numRecordsOutPerSecond') === 0 ? list : undefined;
  }, 'the rate falls to zero');
  assert.ok(metric(rates, '0.numRecordsOut') > 0);
});
