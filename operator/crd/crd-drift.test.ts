// crds/ and helm/brook/crds/ are generated: regenerating in memory must give the committed bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { relative } from 'node:path';
import { crdDirectories, generateCrdFiles } from './generate.ts';

const root = new URL('../../', import.meta.url).pathname;

for (const directory of crdDirectories) {
  const shown = relative(root, directory);
  test(`every CRD in ${shown}/ is byte for byte what operator/crd/generate.ts writes from the zod schemas`, () => {
    for (const { name, content } of generateCrdFiles()) {
      let onDisk: string;
      try {
        onDisk = readFileSync(directory + name, 'utf8');
      } catch {
        assert.fail(`${shown}/${name} is missing; run npx tsx operator/crd/generate.ts`);
      }
      assert.equal(onDisk, content, `${shown}/${name} differs from its schema; run npx tsx operator/crd/generate.ts`);
    }
  });

  test(`${shown}/ holds no CRD that the schemas no longer produce`, () => {
    const generated = new Set(generateCrdFiles().map((f) => f.name));
    const stale = readdirSync(directory).filter((f) => f.endsWith('.yaml') && !generated.has(f));
    assert.deepEqual(stale, [], `these files in ${shown}/ are not generated any more; delete them`);
  });
}
