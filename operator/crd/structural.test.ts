// The generated CRDs against Kubernetes' structural schema rules, and the
// checker itself against schemas known to break each rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { parse } from 'yaml';
import { metadataProblems, structuralProblems } from './structural.ts';
import { openApiSchemaOf } from './openapi.ts';
import { generateCrdFiles } from './generate.ts';
import { SchemaNotStructuralError } from './errors.ts';

type Node = Record<string, unknown>;

function walk(node: Node, visit: (node: Node, path: string) => void, path = ''): void {
  visit(node, path);
  for (const [name, child] of Object.entries((node['properties'] as Record<string, Node>) ?? {}))
    walk(child, visit, `${path}.${name}`);
  if (typeof node['additionalProperties'] === 'object') walk(node['additionalProperties'] as Node, visit, `${path}.*`);
  if (typeof node['items'] === 'object') walk(node['items'] as Node, visit, `${path}[]`);
}

const files = generateCrdFiles().map(({ name, content }) => ({ name, crd: parse(content) as Node }));
const schemaOf = (crd: Node) =>
  ((crd['spec'] as Node)['versions'] as Node[])[0]!['schema'] as { openAPIV3Schema: Node };

test('both generated CRDs are structural', () => {
  assert.equal(files.length, 2);
  for (const { name, crd } of files) {
    const schema = schemaOf(crd).openAPIV3Schema;
    assert.deepEqual([...structuralProblems(schema), ...metadataProblems(schema)], [], name);
  }
});

test('no generated node has $ref, anyOf, propertyNames or a list of types, read back from the YAML text', () => {
  for (const { name, crd } of files) {
    walk(schemaOf(crd).openAPIV3Schema, (node, path) => {
      for (const key of ['$ref', '$defs', 'anyOf', 'oneOf', 'allOf', 'propertyNames', 'const', '$schema'])
        assert.ok(!(key in node), `${name} ${path} has ${key}`);
      assert.ok(!Array.isArray(node['type']), `${name} ${path} has a list of types`);
    });
  }
});

test('podTemplate and recorded specs keep unknown fields; cpu is int-or-string', () => {
  const spec = (
    schemaOf(files.find((f) => f.name.startsWith('streamdeployments'))!.crd).openAPIV3Schema['properties'] as Record<
      string,
      Node
    >
  )['spec']!;
  const tm = (spec['properties'] as Record<string, Node>)['taskManager']!['properties'] as Record<string, Node>;
  assert.equal(tm['podTemplate']!['x-kubernetes-preserve-unknown-fields'], true);
  const cpu = (tm['resource']!['properties'] as Record<string, Node>)['cpu']!;
  assert.deepEqual(cpu['x-kubernetes-int-or-string'], true);
  assert.equal(cpu['type'], undefined);
});

test('the StreamDeployment CRD has the scale and status subresources, short name sdep and the printer columns', () => {
  const crd = files.find((f) => f.name === 'streamdeployments.brook.dev.yaml')!.crd as {
    spec: {
      names: { shortNames: string[] };
      scope: string;
      versions: { subresources: Node; additionalPrinterColumns: { name: string; jsonPath: string }[] }[];
    };
  };
  assert.deepEqual(crd.spec.names.shortNames, ['sdep']);
  assert.equal(crd.spec.scope, 'Namespaced');
  const v = crd.spec.versions[0]!;
  assert.deepEqual(v.subresources['scale'], {
    specReplicasPath: '.spec.taskManager.replicas',
    statusReplicasPath: '.status.taskManager.replicas',
    labelSelectorPath: '.status.taskManager.labelSelector',
  });
  assert.deepEqual(v.subresources['status'], {});
  const columns = v.additionalPrinterColumns.map((c) => c.jsonPath);
  for (const path of ['.status.jobStatus.state', '.status.lifecycleState', '.metadata.creationTimestamp'])
    assert.ok(columns.includes(path), path);
});

test('every CEL message of the StreamDeployment names a spec field', () => {
  const spec = (schemaOf(files[0]!.crd).openAPIV3Schema['properties'] as Record<string, Node>)['spec']!;
  const rules = spec['x-kubernetes-validations'] as { rule: string; message: string }[];
  assert.ok(rules.length >= 10);
  for (const { message } of rules) assert.match(message, /^spec\.[a-zA-Z]/);
});

// The checker must catch what it claims to: one broken schema per rule.
const broken: [string, Node][] = [
  ['a field without a type', { type: 'object', properties: { a: { description: 'x' } } }],
  ['a list of types', { type: 'object', properties: { a: { type: ['string', 'null'] } } }],
  [
    'anyOf outside int-or-string',
    { type: 'object', properties: { a: { anyOf: [{ type: 'string' }, { type: 'integer' }] } } },
  ],
  ['$ref', { type: 'object', properties: { a: { $ref: '#/$defs/x' } } }],
  [
    'properties and additionalProperties',
    { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: { type: 'string' } },
  ],
  [
    'additionalProperties: false',
    { type: 'object', properties: { a: { type: 'string' } }, additionalProperties: false },
  ],
  [
    'uniqueItems',
    { type: 'object', properties: { a: { type: 'array', items: { type: 'string' }, uniqueItems: true } } },
  ],
  ['an array without items', { type: 'object', properties: { a: { type: 'array' } } }],
  ['an empty object that would prune everything', { type: 'object', properties: { a: { type: 'object' } } }],
  ['a required field not declared', { type: 'object', properties: {}, required: ['b'] }],
  ['a default of the wrong type', { type: 'object', properties: { a: { type: 'integer', default: 'x' } } }],
  ['a root that is not an object', { type: 'string' }],
  [
    'propertyNames (unknown to v1)',
    { type: 'object', additionalProperties: { type: 'string' }, propertyNames: { type: 'string' } },
  ],
];
for (const [what, schema] of broken) {
  test(`the structural check refuses ${what}`, () => {
    assert.notDeepEqual(structuralProblems(schema), []);
  });
}

test('the structural check accepts int-or-string written as its anyOf pattern', () => {
  const schema = {
    type: 'object',
    properties: { a: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] } },
  };
  assert.deepEqual(structuralProblems(schema), []);
});

test('metadata with more than type: object is refused', () => {
  assert.notDeepEqual(
    metadataProblems({
      type: 'object',
      properties: { metadata: { type: 'object', properties: { labels: { type: 'object' } } } },
    }),
    [],
  );
});

test('the converter refuses a zod union it cannot express, naming the field', () => {
  const schema = z.object({ a: z.union([z.string(), z.number()]) });
  assert.throws(
    () => openApiSchemaOf(schema),
    (e: unknown) => e instanceof SchemaNotStructuralError && /schema at a /.test(e.message),
  );
});

test('the converter turns nullable types into nullable: true and literal unions into one enum', () => {
  const out = openApiSchemaOf(z.object({ a: z.string().nullable(), b: z.union([z.literal('x'), z.literal('y')]) }));
  const props = out['properties'] as Record<string, Node>;
  assert.deepEqual(props['a'], { type: 'string', nullable: true });
  assert.deepEqual(props['b'], { type: 'string', enum: ['x', 'y'] });
});
