// A `brook` CLI process for tests that kill and restart real processes: its
// stderr is kept (and shown when a test fails), lines can be awaited, and it
// is killed when the test process exits so nothing outlives a test.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const repository = new URL('../..', import.meta.url).pathname;
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export class BrookProcess {
  readonly child: ChildProcess;
  stderr = '';
  stdout = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly listeners: (() => void)[] = [];

  constructor(
    readonly label: string,
    args: string[],
    env: NodeJS.ProcessEnv = {},
  ) {
    this.child = spawn(process.execPath, [join(repository, 'bin', 'brook.js'), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(this.child);
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
      for (const listener of this.listeners) listener();
    });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        running.delete(this.child);
        for (const listener of this.listeners) listener();
        resolve({ code, signal });
      }),
    );
  }

  get isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first match of `pattern` in stderr; rejects if the process exits first or time runs out. */
  waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => done(new Error(`${this.label}: no ${pattern} within ${timeoutMs} ms; stderr:\n${this.stderr}`)),
        timeoutMs,
      );
      const check = () => {
        const match = this.stderr.match(pattern);
        if (match) return done(undefined, match);
        if (!this.isRunning) done(new Error(`${this.label} exited before ${pattern}; stderr:\n${this.stderr}`));
      };
      const done = (error?: Error, match?: RegExpMatchArray) => {
        clearTimeout(timer);
        const i = this.listeners.indexOf(check);
        if (i >= 0) this.listeners.splice(i, 1);
        if (error) reject(error);
        else resolve(match!);
      };
      this.listeners.push(check);
      check();
    });
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.isRunning) this.child.kill(signal);
    return this.exited;
  }
}
