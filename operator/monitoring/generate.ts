// Writes the chart's Grafana dashboard (helm/brook/dashboards/brook.json) from
// operator/monitoring/grafana-dashboard.ts: `npx tsx operator/monitoring/generate.ts`.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { grafanaDashboard } from './grafana-dashboard.ts';

export const dashboardFile = fileURLToPath(new URL('../../helm/brook/dashboards/brook.json', import.meta.url));

export function dashboardJson(): string {
  return JSON.stringify(grafanaDashboard(), null, 2) + '\n';
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(dashboardFile, dashboardJson());
  console.log(`wrote ${dashboardFile}`);
}
