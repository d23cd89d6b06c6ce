// Prometheus's own rule parser and PromQL engine as a test binary
// (scripts/testenv/promql/promql_test.go, built with `go test -c` through the Go
// module proxy and cached by Prometheus version and source hash): the chart's
// alerts and the Grafana dashboard's queries are checked and evaluated with it.
// Not a service: built on first use by the tests that need it (about a minute
// on 2 cores, a second afterwards).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedDirectory } from './cache.ts';
import { runTool } from './exec.ts';
import { goEnvironment } from './kubernetes/go.ts';
import { cacheRoot, logsDir } from './paths.ts';

/** github.com/prometheus/prometheus v0.316.0 is Prometheus 3.x's Go module version. */
export const PROMETHEUS_MODULE_VERSION = '0.316.0';

const sourceDir = join(import.meta.dirname, 'promql');
const sources = ['go.mod', 'promql_test.go'];

function sourceHash(): string {
  const hash = createHash('sha256');
  for (const file of sources) hash.update(readFileSync(join(sourceDir, file)));
  return hash.digest('hex').slice(0, 12);
}

/** Builds the checker when the cache lacks it and returns the binary's path. */
export async function ensurePromqlChecker(): Promise<string> {
  const root = cacheRoot();
  const dir = await cachedDirectory(
    join(root, `promql-check-${PROMETHEUS_MODULE_VERSION}-${sourceHash()}`),
    async (tmp) => {
      mkdirSync(join(tmp, 'src'));
      for (const file of sources) copyFileSync(join(sourceDir, file), join(tmp, 'src', file));
      mkdirSync(logsDir(), { recursive: true });
      await runTool('promql', 'nice', ['-n', '10', 'go', 'test', '-c', '-o', join(tmp, 'promql.test'), '.'], {
        logFile: join(logsDir(), 'promql-build.log'),
        cwd: join(tmp, 'src'),
        env: goEnvironment(root, tmp),
      });
      rmSync(join(tmp, 'go-build'), { recursive: true, force: true });
    },
  );
  return join(dir, 'promql.test');
}

export interface PromqlCheckResult {
  ok: boolean;
  /** What Prometheus's parser or engine said (the failing lines and why). */
  output: string;
}

function run(checker: string, test: string, env: Record<string, string>): PromqlCheckResult {
  const result = spawnSync(checker, ['-test.run', `^${test}$`, '-test.v'], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  return { ok: result.status === 0 && !/--- SKIP/.test(output), output };
}

/** Validates Prometheus rule files as `promtool check rules` does: syntax, PromQL, templates, unknown fields. */
export async function checkRuleFiles(contents: string[]): Promise<PromqlCheckResult> {
  const checker = await ensurePromqlChecker();
  const dir = mkdtempSync(join(tmpdir(), 'brook-rules-'));
  try {
    const files = contents.map((content, i) => {
      const file = join(dir, `rules-${i}.yaml`);
      writeFileSync(file, content);
      return file;
    });
    return run(checker, 'TestRuleFiles', { BROOK_RULE_FILES: files.join(':') });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a promqltest script ("load 1m", "eval instant at 10m <expr>" with expected samples). */
export async function runPromqlScript(script: string): Promise<PromqlCheckResult> {
  const checker = await ensurePromqlChecker();
  const dir = mkdtempSync(join(tmpdir(), 'brook-promql-'));
  try {
    const file = join(dir, 'script.test');
    writeFileSync(file, script);
    return run(checker, 'TestScript', { BROOK_PROMQL_SCRIPT: file });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
