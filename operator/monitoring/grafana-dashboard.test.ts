// The chart's Grafana dashboard: generated, laid out without overlaps, and
// querying only metrics Brook exports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dashboardRows } from './grafana-dashboard.ts';
import { dashboardFile, dashboardJson } from './generate.ts';
import { exportedFamilies, isExported, seriesNames } from './metric-names.ts';

test('helm/brook/dashboards/brook.json is what operator/monitoring/generate.ts writes', () => {
  assert.equal(
    readFileSync(dashboardFile, 'utf8'),
    dashboardJson(),
    'the dashboard differs from operator/monitoring/grafana-dashboard.ts; run npx tsx operator/monitoring/generate.ts',
  );
});

test('every series a dashboard query selects is one Brook exports', async () => {
  const families = await exportedFamilies();
  const unknown = dashboardRows
    .flatMap((row) => row.panels.flatMap((p) => p.queries.map((q) => ({ panel: p.title, expr: q.expr }))))
    .flatMap(({ panel, expr }) => seriesNames(expr).map((name) => ({ panel, name })))
    .filter(({ name }) => !isExported(name, families));
  assert.deepEqual(unknown, []);
});

test('the metric-name check itself tells exported series from misspelt ones', async () => {
  const families = await exportedFamilies();
  assert.ok(isExported('brook_job_restarts_total', families));
  assert.ok(isExported('brook_sink_commit_duration_seconds_bucket', families));
  assert.ok(isExported('brook_operator_reconcile_duration_seconds_bucket', families));
  assert.ok(isExported('brook_nodejs_eventloop_lag_p99_seconds', families));
  assert.ok(!isExported('brook_job_restart_total', families));
  assert.ok(!isExported('brook_job_restarts_total_bucket', families));
  assert.deepEqual(seriesNames('histogram_quantile(0.9, rate(brook_a_bucket[5m])) / brook_b'), [
    'brook_a_bucket',
    'brook_b',
  ]);
});

test('panels have unique ids and tile the 24-column grid without overlapping', () => {
  const panels = (JSON.parse(dashboardJson()) as { panels: { id: number; gridPos: Record<string, number> }[] }).panels;
  assert.equal(new Set(panels.map((p) => p.id)).size, panels.length);
  const cells = new Set<string>();
  for (const { id, gridPos } of panels) {
    const { x, y, w, h } = gridPos as { x: number; y: number; w: number; h: number };
    assert.ok(Number.isInteger(x) && Number.isInteger(w) && x >= 0 && x + w <= 24, `panel ${id} leaves the grid`);
    for (let row = y; row < y + h; row++)
      for (let col = x; col < x + w; col++) {
        const cell = `${row}:${col}`;
        assert.ok(!cells.has(cell), `panel ${id} overlaps another at row ${row}, column ${col}`);
        cells.add(cell);
      }
  }
});
