// The web dashboard in Debian's headless Chromium (driven by playwright-core,
// installed by scripts/testenv/chromium.ts) against a JobManager and two
// TaskManagers as real processes: the graph shows the job's operators and
// edges, its figures grow as records flow, a lost TaskManager shows up as an
// exception with its stack trace, the savepoint button leaves a savepoint in
// checkpoint storage, and the cancel button cancels the job.
/* eslint-disable @typescript-eslint/no-unsafe-member-access -- REST answers are untyped JSON, probed field by field */
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_PATH } from '../../../../scripts/testenv/chromium.ts';
import { eventually } from '../rest-test-job.test-helper.ts';
import { getJson, startProcessCluster } from '../process-cluster.test-helper.ts';

const JOB = new URL('../../../metrics/fixtures/metered-job.ts', import.meta.url).pathname;

/** Flags for a machine without network: nothing phones home, nothing updates. */
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

async function browser(): Promise<BrowserContext> {
  assert.ok(existsSync(CHROMIUM_PATH), `${CHROMIUM_PATH} is missing: run this test through scripts/test.ts`);
  const profile = await mkdtemp(join(tmpdir(), 'brook-chromium-'));
  // A persistent context is how playwright takes a user data directory of our choosing: a fresh one.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_FLAGS,
  });
  cleanups.push(
    () => rm(profile, { recursive: true, force: true }),
    () => context.close(),
  );
  return context;
}

const recordsOutOf = (page: Page, vertex: string) =>
  page.locator(`svg.job-graph g.vertex[data-vertex-id="${vertex}"]`).getAttribute('data-records-out').then(Number);

test('the dashboard shows a running job live and drives savepoints and cancellation through REST', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'brook-dashboard-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const cluster = await startProcessCluster({
    job: JOB,
    // Ticks for far longer than the test runs, at a rate a shared 2-core machine keeps up with.
    args: ['10000000', '400'],
    taskManagers: 2,
    settings: [
      'checkpoints.interval=500',
      `checkpoints.dir=file://${dir}/checkpoints`,
      `savepoints.dir=file://${dir}/savepoints`,
      'cluster.shutdownOnJobEnd=false',
      'restartStrategy.type=fixed-delay',
      'restartStrategy.delay=200',
      'cluster.heartbeatTimeout=3000',
    ],
  });
  cleanups.push(() => cluster.stop());
  const context = await browser();
  const page = await context.newPage();
  const failures: string[] = [];
  page.on('pageerror', (error) => failures.push(error.message));

  await page.goto(`${cluster.restUrl}/?refresh=300`);
  // The overview lists the job; its link opens the job.
  const jobLink = page.locator(`tr.job-row[data-job-id="${cluster.jobId}"] a`);
  await jobLink.waitFor({ timeout: 30_000 });
  assert.equal(await jobLink.textContent(), 'metered-job');
  await jobLink.click();
  await page.locator('#job-state', { hasText: 'RUNNING' }).waitFor({ timeout: 30_000 });

  // The graph: the job's two chains, joined by the keyBy's HASH edge.
  const plan = (await getJson(cluster.restUrl, `/jobs/${cluster.jobId}/plan`)).plan as {
    nodes: { id: string; description: string }[];
  };
  const vertices = page.locator('svg.job-graph g.vertex');
  await vertices.first().waitFor();
  const shown = await Promise.all(
    Array.from({ length: await vertices.count() }, (_, i) => vertices.nth(i).getAttribute('data-vertex-id')),
  );
  assert.deepEqual(shown, ['ticks', 'sums']);
  assert.deepEqual(
    plan.nodes.map((n) => n.id),
    ['ticks', 'sums'],
  );
  for (const node of plan.nodes) {
    const name = await page.locator(`g.vertex[data-vertex-id="${node.id}"] .vertex-name`).textContent();
    assert.ok(node.description.startsWith(name!.replace(/…$/, '')), `${name} names ${node.description}`);
  }
  assert.deepEqual(await page.locator('svg.job-graph .edge-label').allTextContents(), ['HASH']);

  // Figures move as records flow: the ticks chain sends more at every refresh.
  const before = await eventually(async () => {
    const sent = await recordsOutOf(page, 'ticks');
    return sent > 0 ? sent : undefined;
  }, 'the graph shows records sent');
  await eventually(async () => ((await recordsOutOf(page, 'ticks')) > before ? true : undefined), 'records grow');
  await page.locator('g.vertex[data-vertex-id="ticks"] .vertex-line', { hasText: /In: .* Out: \d/ }).waitFor();
  await page.locator('g.vertex[data-vertex-id="sums"] .vertex-line', { hasText: /Watermark: \d{4}-/ }).waitFor();
  // Checkpoints: the history table and the chart fill in.
  await page.locator('table.checkpoint-history tr.checkpoint-row').first().waitFor({ timeout: 30_000 });
  await page.locator('svg.checkpoint-chart rect.bar').first().waitFor();

  // A TaskManager killed: the failure shows with its stack trace; a replacement lets the job run again.
  await cluster.taskManagers[1]!.kill('SIGKILL');
  const exception = page.locator('details.exception').first();
  await exception.waitFor({ timeout: 30_000 });
  // Whichever is seen first is the root cause: the JobManager losing the TaskManager, or a
  // surviving TaskManager's channel losing it as its peer.
  assert.match((await exception.locator('summary').textContent())!, /TaskManager .* was lost|lost its peer/);
  await exception.locator('summary').click();
  assert.match((await exception.locator('pre.stacktrace').textContent())!, /\n\s+at /);
  cluster.startTaskManager();
  await page.locator('#job-state', { hasText: 'RUNNING' }).waitFor({ timeout: 60_000 });
  await page.locator('#trigger-savepoint:enabled').waitFor();

  // The savepoint button: its path is shown, and the savepoint is in storage.
  await page.locator('#trigger-savepoint').click();
  const path = await page.locator('.savepoint-path').textContent({ timeout: 60_000 });
  assert.match(path!, new RegExp(`^file://${dir}/savepoints/savepoint-`));
  assert.ok(existsSync(join(fileURLToPath(path!), '_metadata')), `${path}/_metadata exists`);
  await page.locator('tr.checkpoint-row td', { hasText: 'Savepoint' }).first().waitFor();

  // Cancel, confirmed: the job ends CANCELED, on the page and in the REST API.
  await page.locator('#cancel-job').click();
  await page.locator('#confirm-cancel').click();
  await page.locator('#job-state', { hasText: 'CANCELED' }).waitFor({ timeout: 30_000 });
  assert.equal((await getJson(cluster.restUrl, `/jobs/${cluster.jobId}`)).state, 'CANCELED');
  assert.equal(await page.locator('#trigger-savepoint').isDisabled(), true);
  assert.deepEqual(failures, [], 'no script errors on the page');
});
