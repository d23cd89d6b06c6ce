// User metrics (`ctx.metrics` in a function's open): names are checked with a
// message that says what is wrong, values are exported with the operator's
// labels, and an attempt's series leave the exposition when it is replaced.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePrometheusText } from '../testing/prometheus-text.ts';
import { MetricsRegistry } from './registry.ts';
import { OperatorMetrics, TaskTimes } from './task-metrics.ts';
import { InvalidMetricError, OperatorMetricGroup, userMetricName } from './user-metrics.ts';

const where = "operator 'Parse' (uid 'parse', subtask 0)";

test('user metric names: Prometheus names get the brook_user_ prefix, counters the _total suffix', () => {
  const cases: [string, 'counter' | 'gauge' | 'histogram', string][] = [
    ['orders', 'counter', 'brook_user_orders_total'],
    ['orders_total', 'counter', 'brook_user_orders_total'],
    ['queue_size', 'gauge', 'brook_user_queue_size'],
    ['_private', 'gauge', 'brook_user__private'],
    ['enrich_seconds', 'histogram', 'brook_user_enrich_seconds'],
  ];
  for (const [name, kind, want] of cases) assert.equal(userMetricName(name, kind, where), want, `${kind} ${name}`);
});

test('a bad metric name is refused with a message naming the operator, the name and the rule', () => {
  const cases: [unknown, 'counter' | 'gauge' | 'histogram', RegExp][] = [
    ['orders-rejected', 'counter', /"orders-rejected" is not a Prometheus name: use letters, digits and _/],
    ['1st', 'gauge', /"1st" is not a Prometheus name/],
    ['', 'counter', /"" is not a Prometheus name/],
    ['a.b', 'histogram', /"a\.b" is not a Prometheus name/],
    [42, 'counter', /42 is not a Prometheus name/],
    ['size_total', 'gauge', /gauge 'size_total' must not end with _total/],
    ['latency_count', 'histogram', /histogram 'latency_count' must not end with _bucket, _sum or _count/],
  ];
  for (const [name, kind, message] of cases) {
    assert.throws(
      () => userMetricName(name, kind, where),
      (error: unknown) => {
        assert.ok(error instanceof InvalidMetricError);
        assert.equal(error.code, 'BROOK_METRIC_INVALID');
        assert.match(error.message, /^operator 'Parse' \(uid 'parse', subtask 0\): /);
        assert.match(error.message, message);
        return true;
      },
    );
  }
});

test('a counter refuses to go down; the same name twice is the same metric; a name keeps its type', () => {
  const group = new OperatorMetricGroup(where);
  const counter = group.counter('orders');
  counter.inc();
  counter.inc(2);
  assert.equal(group.counter('orders').value, 3);
  assert.throws(() => counter.inc(-1), /a counter only goes up: inc\(-1\)/);
  assert.throws(() => counter.inc(Number.NaN), /a counter only goes up/);
  group.gauge('depth').set(4);
  assert.throws(() => group.histogram('depth'), /metric 'depth' is already a gauge/);
  assert.throws(() => group.histogram('sizes', '', [1, 1, 2]), /histogram 'sizes': bucket bounds must increase/);
  assert.throws(() => group.histogram('sizes', '', []), /at least one bucket/);
});

function registeredOperator(registry: MetricsRegistry, jobName: string, uid: string, subtask: number) {
  const operator = { metrics: new OperatorMetrics() };
  registry.attempt(jobName).addTask({
    task: { times: new TaskTimes(), inputQueueLength: () => 0 },
    taskId: uid,
    taskName: uid,
    subtask,
    operators: [{ uid, name: `Op ${uid}`, operator }],
  });
  return operator.metrics.user;
}

test("user metrics are exported with the operator's labels; histograms as cumulative buckets with sum and count", async () => {
  const registry = new MetricsRegistry();
  const attempt = registry.attempt('orders');
  const groups = [0, 1].map((subtask) => {
    const operator = { metrics: new OperatorMetrics() };
    attempt.addTask({
      task: { times: new TaskTimes(), inputQueueLength: () => 0 },
      taskId: 'parse',
      taskName: 'Parse',
      subtask,
      operators: [{ uid: 'parse', name: 'Parse "orders"', operator }],
    });
    return operator.metrics.user;
  });
  groups[0]!.counter('invalid', 'orders that failed validation').inc(3);
  groups[1]!.counter('invalid').inc(5);
  let size = 7;
  groups[0]!.gauge('queue', 'queued orders', () => size);
  size = 11;
  const latency = groups[1]!.histogram('enrich_seconds', 'enrichment time', [0.01, 0.1, 1]);
  for (const v of [0.005, 0.01, 0.05, 0.5, 2, 3]) latency.observe(v);

  const scrape = parsePrometheusText(await registry.metrics());
  const labels = (subtask: number) => ({
    job_name: 'orders',
    operator_uid: 'parse',
    operator_name: 'Parse "orders"',
    subtask,
  });
  assert.equal(scrape.types.get('brook_user_invalid_total'), 'counter');
  assert.equal(scrape.value('brook_user_invalid_total', labels(0)), 3);
  assert.equal(scrape.value('brook_user_invalid_total', labels(1)), 5);
  assert.equal(scrape.types.get('brook_user_queue'), 'gauge');
  assert.equal(scrape.value('brook_user_queue', labels(0)), 11, 'a gauge with read() is read at scrape time');
  assert.equal(scrape.types.get('brook_user_enrich_seconds'), 'histogram');
  const bucket = (le: string) => scrape.value('brook_user_enrich_seconds_bucket', { ...labels(1), le });
  assert.deepEqual(['0.01', '0.1', '1', '+Inf'].map(bucket), [2, 3, 4, 6], 'cumulative: <= 0.01, <= 0.1, <= 1, all');
  assert.equal(scrape.value('brook_user_enrich_seconds_count', labels(1)), 6);
  assert.ok(Math.abs(scrape.value('brook_user_enrich_seconds_sum', labels(1)) - 5.565) < 1e-9);
});

test('one name in two operators must be one type with one set of buckets', () => {
  const registry = new MetricsRegistry();
  const a = registeredOperator(registry, 'job-a', 'a', 0);
  const b = registeredOperator(registry, 'job-b', 'b', 0);
  a.counter('events').inc();
  assert.throws(() => b.gauge('events_total'), /gauge 'events_total' must not end with _total/);
  a.gauge('depth');
  assert.throws(() => b.histogram('depth'), /metric 'brook_user_depth' is already a gauge of another operator/);
  a.histogram('sizes', '', [1, 10]);
  assert.throws(() => b.histogram('sizes', '', [1, 100]), /histogram 'brook_user_sizes' already has buckets \[1, 10\]/);
  b.histogram('sizes', '', [1, 10]).observe(3);
});

test("a job's next attempt replaces its series; a closed attempt's series leave the exposition", async () => {
  const registry = new MetricsRegistry();
  registeredOperator(registry, 'clicks', 'count', 0).counter('seen').inc(10);
  let scrape = parsePrometheusText(await registry.metrics());
  assert.equal(scrape.value('brook_user_seen_total', { job_name: 'clicks' }), 10);
  assert.equal(scrape.find('brook_operator_records_in_total', { job_name: 'clicks' }).length, 1);

  // The next attempt starts counting afresh, as Flink's metrics do after a restart.
  registeredOperator(registry, 'clicks', 'count', 0).counter('seen').inc(2);
  scrape = parsePrometheusText(await registry.metrics());
  assert.equal(scrape.value('brook_user_seen_total', { job_name: 'clicks' }), 2);
  assert.equal(scrape.find('brook_operator_records_in_total', { job_name: 'clicks' }).length, 1);

  registry.attempt('clicks').close();
  scrape = parsePrometheusText(await registry.metrics());
  assert.deepEqual(scrape.find('brook_user_seen_total'), []);
  assert.deepEqual(scrape.find('brook_operator_records_in_total'), []);
});
