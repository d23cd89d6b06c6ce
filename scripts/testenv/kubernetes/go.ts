// The Go toolchain settings shared by the builds from source (control plane, helm):
// local toolchain, static binaries, modules cached by version under the brook cache.
import { rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { runTool } from '../exec.ts';

export function goEnvironment(cacheRoot: string, buildDir: string): Record<string, string> {
  return {
    GOTOOLCHAIN: 'local', // never fetch another toolchain: this machine's Go is what upstream 1.36 uses
    CGO_ENABLED: '0', // static binaries as upstream builds them; no C compiler involved
    GOFLAGS: '-trimpath -modcacherw -mod=mod -buildvcs=false',
    // Modules are kept beside the binaries (-modcacherw lets `rm -r ~/.cache/brook` remove them);
    // the 3 GB of compiled packages are of no use once the binaries exist, so they live in the
    // build's temporary folder and go with it.
    GOMODCACHE: join(cacheRoot, 'go', 'mod'),
    GOCACHE: join(buildDir, 'go-build'),
  };
}

/**
 * Half the cores' worth of packages at once (one on a 2-core machine): the
 * compiler's own backend threads still keep both cores busy, and the rest of
 * the machine (tests, other builds) stays usable. BROOK_TESTENV_GO_JOBS overrides it.
 */
function goBuildJobs(): string {
  const fromEnv = Number(process.env.BROOK_TESTENV_GO_JOBS);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return String(fromEnv);
  return String(Math.max(1, Math.floor(availableParallelism() / 2)));
}

/** Builds in `buildDir` (the cache's temporary folder): the wrapper module in src/, binaries in bin/. */
export async function goBuild(cacheRoot: string, buildDir: string, args: string[], installLog: string): Promise<void> {
  await runTool('kubernetes', 'nice', ['-n', '10', 'go', 'build', '-p', goBuildJobs(), ...args], {
    logFile: installLog,
    cwd: join(buildDir, 'src'),
    env: goEnvironment(cacheRoot, buildDir),
  });
  rmSync(join(buildDir, 'go-build'), { recursive: true, force: true });
}
