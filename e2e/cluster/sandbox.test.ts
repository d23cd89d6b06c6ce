// The mount script of a container sandbox: parents mounted before children
// whatever the order in the spec, sources relative to the pod directory, files
// and read-only mounts handled, quoting safe, and the argv exec'd last.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { mountScript, type SandboxTools } from './sandbox.ts';

const tools: SandboxTools = {
  setpriv: '/usr/bin/setpriv',
  unshare: '/usr/bin/unshare',
  sh: '/bin/sh',
  mount: '/bin/mount',
  mkdir: '/bin/mkdir',
  nsenter: '/usr/bin/nsenter',
};

test('the image overlay first (a volume over /tmp must not hide its lower layer, a clone under /tmp in CI), then parents first, in spec order among equals, then the working directory and exec', () => {
  const script = mountScript(
    '/pods/u1',
    [
      { kind: 'bind', source: 'volumes/config', target: '/opt/brook/conf', readOnly: true },
      { kind: 'bind', source: 'hosts', target: '/etc/hosts', file: true },
      {
        kind: 'overlay',
        lower: '/tmp/clone',
        upper: 'containers/c/upper',
        work: 'containers/c/work',
        target: '/opt/brook',
      },
      { kind: 'bind', source: 'volumes/tmp', target: '/tmp' },
    ],
    '/opt/brook',
    tools,
  );
  assert.deepEqual(script.split('\n'), [
    'set -e',
    "cd '/pods/u1'",
    "/bin/mkdir -p '/opt/brook'",
    "/bin/mount -t overlay overlay -o 'lowerdir=/tmp/clone,upperdir=containers/c/upper,workdir=containers/c/work' '/opt/brook'",
    "/bin/mkdir -p '/tmp'",
    "/bin/mount --bind 'volumes/tmp' '/tmp'",
    `[ -e '/etc/hosts' ] || { /bin/mkdir -p "$(dirname '/etc/hosts')"; : > '/etc/hosts'; }`,
    "/bin/mount --bind 'hosts' '/etc/hosts'",
    "/bin/mkdir -p '/opt/brook/conf'",
    "/bin/mount --bind 'volumes/config' '/opt/brook/conf'",
    "/bin/mount -o remount,bind,ro '/opt/brook/conf'",
    "/bin/mkdir -p '/opt/brook'",
    "cd '/opt/brook'",
    'exec "$@"',
  ]);
});

test('quoting survives quotes and spaces in paths', () => {
  const script = mountScript("/pods/it's here", [], "/work dir/it's", tools);
  const echoed = execFileSync(
    '/bin/sh',
    ['-c', script.replace(/^(cd|\/bin\/mkdir -p) /gm, 'echo ').replace('exec "$@"', '')],
    {
      encoding: 'utf8',
    },
  );
  assert.deepEqual(echoed.trim().split('\n'), ["/pods/it's here", "/work dir/it's", "/work dir/it's"]);
});
