// A cached install is a folder that appears complete or not at all: it is
// built under a temporary name and renamed into place when done.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { withLock } from './lock.ts';

/** Returns `dir`, running `build(tmpDir)` first when `dir` is not there yet. */
export async function cachedDirectory(dir: string, build: (tmpDir: string) => Promise<void>): Promise<string> {
  if (existsSync(dir)) return dir;
  // Concurrent callers wait for one build instead of each running it (a
  // Kubernetes build takes minutes and two at once would halve the machine).
  return withLock(`${dir}.lock`, async () => {
    if (existsSync(dir)) return dir;
    // Holding the lock, any other partial copy was left by an interrupted build.
    mkdirSync(dirname(dir), { recursive: true });
    for (const entry of readdirSync(dirname(dir))) {
      if (entry.startsWith(`${basename(dir)}.partial-`))
        rmSync(join(dirname(dir), entry), { recursive: true, force: true });
    }
    const tmpDir = `${dir}.partial-${process.pid}`;
    mkdirSync(tmpDir, { recursive: true });
    try {
      await build(tmpDir);
      renameSync(tmpDir, dir);
    } catch (error) {
      rmSync(tmpDir, { recursive: true, force: true });
      throw error;
    }
    return dir;
  });
}
