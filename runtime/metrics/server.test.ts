// The /metrics endpoint: the registry's exposition on GET, nothing else, a
// clear error for a port that is taken, and a close that frees the port.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePrometheusText } from '../testing/prometheus-text.ts';
import { MetricsRegistry } from './registry.ts';
import { MetricsListenError, startMetricsServer } from './server.ts';

test('GET /metrics serves the text exposition; other paths and methods are refused; close frees the port', async () => {
  const registry = new MetricsRegistry({ processMetrics: true });
  const server = await startMetricsServer(registry, { host: '127.0.0.1', port: 0 });
  try {
    assert.equal(server.url, `http://127.0.0.1:${server.port}/metrics`);
    const response = await fetch(server.url);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const scrape = parsePrometheusText(await response.text());
    assert.ok(scrape.value('brook_process_cpu_seconds_total') > 0);
    assert.equal(scrape.types.get('brook_operator_records_in_total'), 'counter');

    const head = await fetch(server.url, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
    assert.equal((await fetch(server.url, { method: 'POST' })).status, 405);
    assert.equal((await fetch(server.url.replace('/metrics', '/'))).status, 404);
  } finally {
    await server.close();
  }
  await assert.rejects(fetch(server.url), 'nothing listens after close');
});

test('a port in use is refused with an error naming the address', async () => {
  const registry = new MetricsRegistry();
  const first = await startMetricsServer(registry, { host: '127.0.0.1', port: 0 });
  try {
    await assert.rejects(startMetricsServer(registry, { host: '127.0.0.1', port: first.port }), (error: unknown) => {
      assert.ok(error instanceof MetricsListenError);
      assert.equal(error.code, 'BROOK_METRICS_LISTEN');
      assert.match(error.message, new RegExp(`cannot serve /metrics on 127\\.0\\.0\\.1:${first.port}: .*EADDRINUSE`));
      return true;
    });
  } finally {
    await first.close();
  }
});
