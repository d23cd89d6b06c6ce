// One run of one container: a process group of its own whose output is
// appended to the container's log file, stopped as a runtime stops a
// container (SIGTERM to the main process, SIGKILL to the group after the grace).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { constants } from 'node:os';

export interface ContainerExit {
  /** The exit code, or 128 + the signal number when a signal ended it (what runtimes report). */
  exitCode: number;
  signal?: number;
  finishedAt: number;
  /** Set when the process could not be started at all. */
  startError?: string;
}

export class ContainerProcess {
  readonly pid: number;
  readonly startedAt = Date.now();
  readonly exited: Promise<ContainerExit>;
  private readonly child: ChildProcess;
  private exit: ContainerExit | undefined;

  constructor(command: string, args: string[], env: Record<string, string>, logFile: string) {
    const out = openSync(logFile, 'a');
    try {
      this.child = spawn(command, args, { env, detached: true, stdio: ['ignore', out, out] });
    } finally {
      closeSync(out);
    }
    this.pid = this.child.pid ?? -1;
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error) => {
        this.exit ??= { exitCode: 128, finishedAt: Date.now(), startError: error.message };
        resolve(this.exit);
      });
      this.child.once('exit', (code, signal) => {
        const number = signal ? constants.signals[signal] : undefined;
        this.exit ??= {
          exitCode: code ?? 128 + (number ?? 0),
          ...(number !== undefined ? { signal: number } : {}),
          finishedAt: Date.now(),
        };
        // The container ends with its main process: whatever it left behind in its group goes too.
        this.killGroup('SIGKILL');
        resolve(this.exit);
      });
    });
  }

  get running(): boolean {
    return this.exit === undefined && this.pid > 0;
  }

  /** Sends `signal` to the main process only, as a runtime does to a container's PID 1. */
  signal(signal: NodeJS.Signals): boolean {
    if (!this.running) return false;
    try {
      process.kill(this.pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** SIGTERM, then SIGKILL to the whole group when it has not exited after `graceMs`. */
  async stop(graceMs: number): Promise<ContainerExit> {
    if (!this.running) return this.exited;
    if (graceMs > 0) this.signal('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)));
    const outcome = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') this.killGroup('SIGKILL');
    return this.exited;
  }

  private killGroup(signal: NodeJS.Signals): void {
    if (this.pid <= 0) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // the group is already empty
    }
  }
}
