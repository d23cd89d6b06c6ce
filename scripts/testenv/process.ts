// Process supervision for testenv: start a service detached (it outlives the
// command that started it), recognise it later by pid, stop its whole group.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LaunchSpec {
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
}

/** Starts `spec` in its own process group with stdout and stderr appended to `logFile`. */
export function spawnDetached(spec: LaunchSpec, logFile: string): ChildProcess {
  const out = openSync(logFile, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      detached: true,
      stdio: ['ignore', out, out],
    });
    child.unref();
    return child;
  } finally {
    closeSync(out);
  }
}

/** True when `pid` is alive and its command line contains `marker` (guards against pid reuse). */
export function isOurProcess(pid: number, marker: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    return cmdline.includes(marker);
  } catch {
    return false;
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM to the process group, then SIGKILL after `graceMs` if anything is left. */
export async function stopProcessGroup(pid: number, graceMs = 10_000): Promise<void> {
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (groupAlive(pid) && Date.now() < deadline) await sleep(100);
  if (groupAlive(pid)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone between the check and the kill
    }
    while (groupAlive(pid)) await sleep(50);
  }
}

/** True when something accepts TCP connections on 127.0.0.1:`port`. */
export function portIsOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Polls `probe` until it resolves, `timeoutMs` passes, or `abortReason()` returns
 * a reason (the process died). Returns the last probe error on timeout.
 */
export async function waitUntilReady(
  probe: () => Promise<void>,
  options: { timeoutMs: number; intervalMs?: number; abortReason?: () => string | undefined },
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: string | undefined;
  for (;;) {
    const aborted = options.abortReason?.();
    if (aborted) return { ok: false, reason: aborted };
    try {
      await probe();
      return { ok: true };
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() >= deadline) {
      return { ok: false, reason: `not ready after ${options.timeoutMs} ms (last probe: ${lastError ?? 'none'})` };
    }
    await sleep(options.intervalMs ?? 250);
  }
}
