// Where the process kubelet keeps logs, so tests read them without a kubelet
// API: as the real kubelet's /var/log/pods, one file per run of a container
// (`<restartCount>.log`, stdout and stderr together), and its own event log.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export function containerLogDir(logDir: string, namespace: string, pod: string, container: string): string {
  return join(logDir, 'pods', namespace, pod, container);
}

export function containerRunLogFile(
  logDir: string,
  namespace: string,
  pod: string,
  container: string,
  restartCount: number,
): string {
  return join(containerLogDir(logDir, namespace, pod, container), `${restartCount}.log`);
}

export function kubeletLogFile(logDir: string): string {
  return join(logDir, 'kubelet.log');
}

/** A container's output: one run's (by restart count), or every run's in order; '' when there is none yet. */
export function readContainerLog(
  logDir: string,
  namespace: string,
  pod: string,
  container: string,
  run?: number,
): string {
  const dir = containerLogDir(logDir, namespace, pod, container);
  if (!existsSync(dir)) return '';
  const runs =
    run !== undefined
      ? [run]
      : readdirSync(dir)
          .map((file) => /^(\d+)\.log$/.exec(file)?.[1])
          .filter((n): n is string => n !== undefined)
          .map(Number)
          .sort((a, b) => a - b);
  return runs
    .map((n) => join(dir, `${n}.log`))
    .filter((file) => existsSync(file))
    .map((file) => readFileSync(file, 'utf8'))
    .join('');
}
