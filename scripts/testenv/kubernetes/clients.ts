// kubectl and helm as tests run them: testenv's builds, testenv's admin
// kubeconfig, and (for helm) a private home, so nothing of the user's own
// configuration, repositories or plugins is read or written.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { endpoints } from '../endpoints.ts';

export interface ToolResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

let helmHome: string | undefined;

function run(command: string, args: string[], env: Record<string, string>, input?: string): ToolResult {
  const result = spawnSync(command, args, {
    input,
    encoding: 'utf8',
    env: { ...process.env, KUBECONFIG: endpoints.kubernetes.kubeconfig, ...env },
    maxBuffer: 64 * 1024 * 1024,
    // Bounded: a hung client must fail the test, not stall the suite.
    timeout: 180_000,
  });
  if (result.error) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`, { cause: result.error });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs testenv's kubectl; `input` goes to its stdin (for `apply -f -`). */
export function kubectl(args: string[], input?: string): ToolResult {
  return run(endpoints.kubernetes.kubectl, args, {}, input);
}

/** Runs testenv's helm with a home of its own under the temporary directory. */
export function helm(args: string[], input?: string): ToolResult {
  if (helmHome === undefined) {
    const home = mkdtempSync(join(tmpdir(), 'brook-helm-home-'));
    process.once('exit', () => rmSync(home, { recursive: true, force: true }));
    helmHome = home;
  }
  return run(
    endpoints.kubernetes.helm,
    args,
    {
      HELM_CACHE_HOME: join(helmHome, 'cache'),
      HELM_CONFIG_HOME: join(helmHome, 'config'),
      HELM_DATA_HOME: join(helmHome, 'data'),
    },
    input,
  );
}

/** The output of a command that must succeed; otherwise an error with what it printed. */
export function succeeded(what: string, result: ToolResult): string {
  if (result.status !== 0) throw new Error(`${what} failed (exit ${result.status}):\n${result.stderr}${result.stdout}`);
  return result.stdout;
}
