// crds/ is generated: regenerating in memory must give the committed bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { crdDirectory, generateCrdFiles } from './generate.ts';

test('every CRD in crds/ is byte for byte what operator/crd/generate.ts writes from the zod schemas', () => {
  for (const { name, content } of generateCrdFiles()) {
    let onDisk: string;
    try {
      onDisk = readFileSync(crdDirectory + name, 'utf8');
    } catch {
      assert.fail(`crds/${name} is missing; run npx tsx operator/crd/generate.ts`);
    }
    assert.equal(onDisk, content, `crds/${name} differs from its schema; run npx tsx operator/crd/generate.ts`);
  }
});

test('crds/ holds no CRD that the schemas no longer produce', () => {
  const generated = new Set(generateCrdFiles().map((f) => f.name));
  const stale = readdirSync(crdDirectory).filter((f) => f.endsWith('.yaml') && !generated.has(f));
  assert.deepEqual(stale, [], 'these files in crds/ are not generated any more; delete them');
});
