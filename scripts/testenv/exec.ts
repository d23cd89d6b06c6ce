// Runs a setup tool (mvn, pip, apt-get, kafka-storage) with its output kept in a log, so a
// failure can point at what the tool said.
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { TestenvError } from './errors.ts';

export async function runTool(
  service: string,
  command: string,
  args: string[],
  options: { logFile: string; env?: Record<string, string>; cwd?: string },
): Promise<void> {
  const out = openSync(options.logFile, 'a');
  try {
    const exitCode = await new Promise<number | string>((resolve) => {
      const child = spawn(command, args, {
        cwd: options.cwd,
        env: { ...process.env, ...options.env },
        stdio: ['ignore', out, out],
      });
      child.once('error', (error) => resolve(error.message));
      child.once('exit', (code, signal) => resolve(code ?? `signal ${signal}`));
    });
    if (exitCode !== 0) {
      throw new TestenvError(
        service,
        `'${command} ${args.join(' ')}' failed (${typeof exitCode === 'number' ? `exit ${exitCode}` : exitCode})`,
        {
          logFile: options.logFile,
        },
      );
    }
  } finally {
    closeSync(out);
  }
}

/** True when `command` can be found on PATH. */
export async function commandExists(command: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    child.once('exit', (code) => resolve(code === 0));
    child.once('error', () => resolve(false));
  });
}
