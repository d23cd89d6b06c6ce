// `npm test`: brings the real services up through testenv (unless they are up
// already), runs typecheck, lint and format checks meanwhile, then every test
// file with node's test runner; stops the services it started itself. The
// Kubernetes control plane is started only when a `*.kube.test.ts` file is selected.
//
//   npm test                        everything (what CI runs)
//   npm test -- runtime/state       only test files whose path contains a filter; no static checks
//   (a selected `*.browser.test.ts` file also gets Debian's Chromium installed: testenv/chromium.ts)
//   BROOK_TESTENV_KEEP=1 npm test   leave the services running afterwards
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describeCauseChain } from '../runtime/errors.ts';
import { down, up } from './testenv/environment.ts';
import { servicesForTestFiles, type ServiceName } from './testenv/services/index.ts';
import { ensureChromium, needsChromium } from './testenv/chromium.ts';

const root = join(import.meta.dirname, '..');
const testRoots = ['cli', 'runtime', 'operator', 'helm', 'e2e', 'examples', 'scripts', 'bench'];
const childEnv = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

function findTestFiles(filters: string[]): string[] {
  const files: string[] = [];
  for (const dir of testRoots) {
    let entries: string[];
    try {
      entries = readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const path = join(dir, entry);
      if (!entry.endsWith('.test.ts') || path.includes('node_modules')) continue;
      if (filters.length === 0 || filters.some((f) => path.includes(f))) files.push(path);
    }
  }
  return files.sort();
}

interface StepResult {
  name: string;
  ok: boolean;
  seconds: number;
  output: string;
}

/** Runs a check quietly and keeps its output for the report. */
function runCaptured(name: string, command: string, args: string[]): Promise<StepResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', (error) => resolve({ name, ok: false, seconds: 0, output: error.message }));
    child.once('exit', (code) => resolve({ name, ok: code === 0, seconds: (Date.now() - started) / 1000, output }));
  });
}

function runInherited(command: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env: childEnv, stdio: 'inherit' });
    child.once('error', () => resolve(1));
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

const bin = (tool: string) => join(root, 'node_modules', '.bin', tool);

// The AWS SDK warns on every client under Node 20; Brook pins a version that supports it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main(argv: string[]): Promise<number> {
  const skipChecks = argv.includes('--skip-checks');
  const filters = argv.filter((a) => !a.startsWith('--'));
  const files = findTestFiles(filters);
  if (files.length === 0) {
    console.error(`test: no test files match ${filters.join(', ')}`);
    return 2;
  }

  const report = (line: string) => console.log(`testenv: ${line}`);
  // Kafka, S3 and Redis always; the Kubernetes control plane only for `*.kube.test.ts` files.
  const servicesUp = up(servicesForTestFiles(files), report);
  // Debian's Chromium, only when a selected `*.browser.test.ts` drives it (the dashboard tests).
  const browserReady = needsChromium(files) ? ensureChromium(report) : Promise.resolve();
  const checks =
    skipChecks || filters.length > 0
      ? []
      : [
          runCaptured('typecheck', bin('tsc'), ['--noEmit', '-p', '.']),
          runCaptured('lint', bin('eslint'), ['--max-warnings', '0', '.']),
          runCaptured('format', bin('prettier'), ['--check', '.']),
        ];

  let started: ServiceName[] = [];
  let failed = false;
  try {
    [started] = await Promise.all([servicesUp, browserReady]);
  } catch (error) {
    console.error(describeCauseChain(error));
    failed = true;
  }
  for (const result of await Promise.all(checks)) {
    console.log(`${result.ok ? 'ok' : 'FAILED'}: ${result.name} (${result.seconds.toFixed(1)} s)`);
    if (!result.ok) {
      console.log(result.output.trimEnd());
      failed = true;
    }
  }

  try {
    if (!failed) {
      console.log(`test: ${files.length} test files`);
      const code = await runInherited(process.execPath, [
        '--import',
        'tsx',
        '--test',
        '--test-reporter=spec',
        '--test-concurrency=2',
        '--test-timeout=600000',
        ...files.map((f) => relative(root, join(root, f))),
      ]);
      failed = code !== 0;
    }
  } finally {
    if (started.length > 0 && !process.env.BROOK_TESTENV_KEEP) await down(started, report);
  }
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(describeCauseChain(error));
    process.exit(1);
  },
);
