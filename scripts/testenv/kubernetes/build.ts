// Builds the control plane from source through the Go module proxy: etcd, and
// kube-apiserver, kube-controller-manager and kubectl, each at a pinned release,
// from a generated wrapper module (`go install` refuses both upstream modules
// because their go.mod files carry replace directives); helm beside them (./helm.ts).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cachedDirectory } from '../cache.ts';
import { TestenvError } from '../errors.ts';
import { commandExists, runTool } from '../exec.ts';
import { goBuild, goEnvironment } from './go.ts';
import { buildHelm } from './helm.ts';
import { ETCD_VERSION, KUBERNETES_VERSION } from './versions.ts';

export interface ControlPlaneBinaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubectl: string;
  helm: string;
}

export async function buildEtcd(cacheRoot: string, installLog: string): Promise<string> {
  const dir = await cachedDirectory(join(cacheRoot, `etcd-${ETCD_VERSION}`), async (tmp) => {
    const src = join(tmp, 'src');
    mkdirSync(src);
    writeFileSync(
      join(src, 'go.mod'),
      `module brook.dev/testenv/etcd\n\ngo 1.26.0\n\nrequire go.etcd.io/etcd/server/v3 v${ETCD_VERSION}\n`,
    );
    // etcd's own main package only calls this; its version string is a constant in go.etcd.io/etcd/api.
    writeFileSync(
      join(src, 'main.go'),
      'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n',
    );
    await goBuild(cacheRoot, tmp, ['-ldflags', '-s -w', '-o', join(tmp, 'bin', 'etcd'), '.'], installLog);
  });
  return join(dir, 'bin', 'etcd');
}

/**
 * The wrapper module's go.mod: upstream's `go` and `godebug` lines (so runtime
 * defaults match upstream builds), and every staging module that upstream maps
 * to ./staging replaced by its published version (v1.X.Y -> v0.X.Y).
 */
export function wrapperGoMod(upstreamGoMod: string, version: string): string {
  const goLine = /^go (\S+)$/m.exec(upstreamGoMod)?.[1];
  if (!goLine) throw new Error('upstream go.mod has no go line');
  const godebug = /^godebug\s+(\([^)]*\)|.+)$/m.exec(upstreamGoMod)?.[0];
  const staging = [...upstreamGoMod.matchAll(/^\s*(k8s\.io\/[\w.-]+)\s+=>\s+\.\/staging\//gm)].map((m) => m[1]!);
  if (staging.length === 0) throw new Error('upstream go.mod maps no staging modules');
  const stagingVersion = `v0.${version.split('.').slice(1).join('.')}`;
  return [
    'module brook.dev/testenv/kubernetes',
    '',
    `go ${goLine}`,
    '',
    ...(godebug ? [godebug, ''] : []),
    `require k8s.io/kubernetes v${version}`,
    '',
    'replace (',
    ...staging.sort().map((m) => `\t${m} => ${m} ${stagingVersion}`),
    ')',
    '',
  ].join('\n');
}

/** -X flags so /version reports the real release; without them it says v0.0.0-master. */
function versionLdflags(version: string): string {
  const [major, minor] = version.split('.');
  const flags = ['-s', '-w'];
  for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    flags.push(
      `-X ${pkg}.gitVersion=v${version}`,
      `-X ${pkg}.gitMajor=${major}`,
      `-X ${pkg}.gitMinor=${minor}`,
      `-X ${pkg}.gitTreeState=clean`,
    );
  }
  return flags.join(' ');
}

export async function buildKubernetes(cacheRoot: string, installLog: string): Promise<string> {
  const dir = await cachedDirectory(join(cacheRoot, `kubernetes-${KUBERNETES_VERSION}`), async (tmp) => {
    const src = join(tmp, 'src');
    mkdirSync(src);
    const env = goEnvironment(cacheRoot, tmp);
    const module = `k8s.io/kubernetes@v${KUBERNETES_VERSION}`;
    await runTool('kubernetes', 'go', ['mod', 'download', module], { logFile: installLog, cwd: src, env });
    // The proxy's file layout: the module's go.mod sits beside its zip in the download cache.
    const upstream = readFileSync(
      join(env.GOMODCACHE!, 'cache', 'download', 'k8s.io', 'kubernetes', '@v', `v${KUBERNETES_VERSION}.mod`),
      'utf8',
    );
    writeFileSync(join(src, 'go.mod'), wrapperGoMod(upstream, KUBERNETES_VERSION));
    const commands = ['kube-apiserver', 'kube-controller-manager', 'kubectl'].map((c) => `k8s.io/kubernetes/cmd/${c}`);
    await goBuild(
      cacheRoot,
      tmp,
      ['-ldflags', versionLdflags(KUBERNETES_VERSION), '-o', join(tmp, 'bin') + '/', ...commands],
      installLog,
    );
  });
  return join(dir, 'bin');
}

/** Builds what is missing from the cache (minutes on a cold cache, see docs/development.md) and returns the paths. */
export async function installControlPlane(cacheRoot: string, installLog: string): Promise<ControlPlaneBinaries> {
  if (!(await commandExists('go'))) {
    throw new TestenvError('kubernetes', "'go' is not on PATH; the control plane is built from source with Go ≥1.26");
  }
  // One after the other: each build already uses the cores it is given.
  const etcd = await buildEtcd(cacheRoot, installLog);
  const bin = await buildKubernetes(cacheRoot, installLog);
  const helm = await buildHelm(cacheRoot, installLog);
  return {
    helm,
    etcd,
    kubeApiserver: join(bin, 'kube-apiserver'),
    kubeControllerManager: join(bin, 'kube-controller-manager'),
    kubectl: join(bin, 'kubectl'),
  };
}
