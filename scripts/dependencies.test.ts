// Brook supports Node 20.19+, while several chosen libraries have moved on to
// Node 22 in newer majors. This proves every production dependency, as locked,
// loads on the Node running the tests.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};

for (const name of Object.keys(pkg.dependencies)) {
  test(`the dependency ${name} loads on Node ${process.versions.node}`, async () => {
    const loaded = (await import(name)) as Record<string, unknown>;
    assert.ok(Object.keys(loaded).length > 0, `${name} exports nothing`);
  });
}
