// A cached install is a folder that appears complete or not at all: it is
// built under a temporary name and renamed into place when done.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';

/** Returns `dir`, running `build(tmpDir)` first when `dir` is not there yet. */
export async function cachedDirectory(dir: string, build: (tmpDir: string) => Promise<void>): Promise<string> {
  if (existsSync(dir)) return dir;
  const tmpDir = `${dir}.partial-${process.pid}`;
  rmSync(tmpDir, { recursive: true, force: true });
  mkdirSync(tmpDir, { recursive: true });
  try {
    await build(tmpDir);
    // Another process may have finished the same install meanwhile; either copy is fine.
    if (existsSync(dir)) rmSync(tmpDir, { recursive: true, force: true });
    else renameSync(tmpDir, dir);
  } catch (error) {
    rmSync(tmpDir, { recursive: true, force: true });
    throw error;
  }
  return dir;
}
