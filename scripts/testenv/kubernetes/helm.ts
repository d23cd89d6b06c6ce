// Builds helm from source through the Go module proxy, keyed by version in the
// brook cache. Upstream's go.mod has no replace directives, so a wrapper module
// that requires helm selects exactly helm's own dependency versions.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cachedDirectory } from '../cache.ts';
import { goBuild } from './go.ts';
import { HELM_VERSION } from './versions.ts';

/** The folder `helm-<version>` under the cache: bin/helm, and src/ with the go.mod and go.sum it was built from. */
export function helmCacheDir(cacheRoot: string): string {
  return join(cacheRoot, `helm-${HELM_VERSION}`);
}

/** Builds helm when the cache lacks it (about 3 min on 2 cores) and returns the binary's path. */
export async function buildHelm(cacheRoot: string, installLog: string): Promise<string> {
  const major = HELM_VERSION.split('.')[0]!;
  const module = `helm.sh/helm/v${major}`;
  const dir = await cachedDirectory(helmCacheDir(cacheRoot), async (tmp) => {
    mkdirSync(join(tmp, 'src'));
    writeFileSync(
      join(tmp, 'src', 'go.mod'),
      `module brook.dev/testenv/helm\n\ngo 1.26.0\n\nrequire ${module} v${HELM_VERSION}\n`,
    );
    // What upstream's Makefile sets, so `helm version` reports the release rather than "v4.3".
    const ldflags = `-s -w -X ${module}/internal/version.version=v${HELM_VERSION} -X ${module}/internal/version.gitTreeState=clean`;
    await goBuild(
      cacheRoot,
      tmp,
      ['-ldflags', ldflags, '-o', join(tmp, 'bin', 'helm'), `${module}/cmd/helm`],
      installLog,
    );
  });
  return join(dir, 'bin', 'helm');
}
