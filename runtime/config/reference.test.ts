// docs/configuration.md's key reference is the schema's: a key added,
// removed or redescribed in schema.ts without regenerating the doc fails here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { docPath, renderReference, withReference } from './reference.ts';
import { knownPaths } from './schema-walk.ts';
import { configSchema } from './schema.ts';

test('the reference in docs/configuration.md matches the schema (regenerate: node --import tsx runtime/config/reference.ts)', () => {
  const doc = readFileSync(docPath, 'utf8');
  assert.equal(doc, withReference(doc));
});

test('every key the schema knows has a row in the reference', () => {
  const table = renderReference();
  for (const path of knownPaths(configSchema)) assert.ok(table.includes(`| \`${path.join('.')}\` |`), path.join('.'));
});
