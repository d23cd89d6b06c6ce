// Where testenv keeps things: slow downloads and builds in the user's cache
// (kept across runs, keyed by version), running services' data in a temp dir.
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

/** `${XDG_CACHE_HOME:-$HOME/.cache}/brook`: survives clones, so a second run starts in seconds. */
export function cacheRoot(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'brook');
}

/** The running environment's state: pids, data directories and logs. Removed by `down`. */
export function stateRoot(): string {
  return process.env.BROOK_TESTENV_DIR || join(tmpdir(), 'brook-testenv');
}

/** One service's data, emptied each time testenv starts it. */
export function serviceDataDir(name: string): string {
  return join(stateRoot(), 'data', name);
}

/** Service logs (and install logs), kept until `down` removes the state directory. */
export function logsDir(): string {
  return join(stateRoot(), 'logs');
}
