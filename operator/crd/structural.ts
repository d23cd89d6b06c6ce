// Checks a CRD schema against Kubernetes' rules for structural schemas
// (apiextensions.k8s.io/v1, "Specifying a structural schema") and the
// constructs v1 refuses, so a CRD that the API server would reject fails here.

export interface StructuralProblem {
  path: string;
  problem: string;
}

type Node = { [key: string]: unknown };

/** Keys apiextensions.k8s.io/v1 JSONSchemaProps has; anything else is refused by the API server. */
const knownKeys = new Set([
  'type',
  'format',
  'title',
  'description',
  'default',
  'maximum',
  'exclusiveMaximum',
  'minimum',
  'exclusiveMinimum',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
  'uniqueItems',
  'multipleOf',
  'enum',
  'maxProperties',
  'minProperties',
  'required',
  'items',
  'allOf',
  'oneOf',
  'anyOf',
  'not',
  'properties',
  'additionalProperties',
  'nullable',
  'example',
  'externalDocs',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-int-or-string',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-list-type',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
]);
const types = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);
const junctors = ['allOf', 'anyOf', 'oneOf', 'not'];

/** Every way `schema` (an openAPIV3Schema) breaks the structural rules; empty when it is structural. */
export function structuralProblems(schema: Node): StructuralProblem[] {
  const problems: StructuralProblem[] = [];
  visit(schema, '', problems, true);
  return problems;
}

function visit(node: Node, path: string, problems: StructuralProblem[], isRoot = false): void {
  const report = (problem: string) => problems.push({ path: path || '(root)', problem });
  for (const key of Object.keys(node))
    if (!knownKeys.has(key)) report(`has ${key}, unknown to apiextensions.k8s.io/v1`);

  const intOrString = node['x-kubernetes-int-or-string'] === true;
  const preserve = node['x-kubernetes-preserve-unknown-fields'];
  if (preserve !== undefined && preserve !== true)
    report('sets x-kubernetes-preserve-unknown-fields to something but true');

  // Rule 1: a type everywhere, except int-or-string and preserve-unknown-fields nodes.
  const type = node['type'];
  if (type === undefined) {
    if (!intOrString && preserve !== true) report('has no type');
  } else if (typeof type !== 'string' || !types.has(type)) {
    report(`has type ${JSON.stringify(type)}, not one of ${[...types].join(', ')}`);
  }
  if (isRoot && type !== 'object') report('root must be of type object');

  // Rules 2 and 3: junctors only restrict; they may not declare types, defaults or fields of their own.
  for (const junctor of junctors) {
    if (!(junctor in node)) continue;
    if (intOrString && junctor === 'anyOf' && isIntOrStringPattern(node['anyOf'])) continue;
    report(`uses ${junctor}; Brook's schemas are written without junctors`);
  }
  if (node['uniqueItems'] === true) report('sets uniqueItems: true, which Kubernetes refuses');
  if (node['additionalProperties'] === false)
    report('sets additionalProperties: false; pruning already drops unknown fields');

  const properties = node['properties'] as Record<string, Node> | undefined;
  const additional = node['additionalProperties'];
  if (properties !== undefined && additional !== undefined) report('has both properties and additionalProperties');
  // Not a Kubernetes rule but a Brook one: such an object would silently lose every field to pruning.
  // metadata at the root is the exception, the API server supplies its schema.
  if (
    type === 'object' &&
    properties === undefined &&
    additional === undefined &&
    preserve !== true &&
    path !== 'metadata'
  ) {
    report('is an object with neither properties, additionalProperties nor x-kubernetes-preserve-unknown-fields');
  }
  if (type === 'array' && (typeof node['items'] !== 'object' || Array.isArray(node['items'])))
    report('is an array without one items schema');
  if (type !== 'object' && (properties !== undefined || additional !== undefined))
    report('declares fields but is not an object');

  if ('default' in node && typeof type === 'string' && !matchesType(node['default'], type)) {
    report(`has a default of the wrong type for ${type}`);
  }

  const required = node['required'];
  if (Array.isArray(required)) {
    for (const name of required as string[])
      if (!properties || !(name in properties)) report(`requires ${name}, which it does not declare`);
  }
  if (properties)
    for (const [name, child] of Object.entries(properties)) visit(child, path ? `${path}.${name}` : name, problems);
  if (typeof additional === 'object' && additional !== null) visit(additional as Node, `${path}.*`, problems);
  if (type === 'array' && typeof node['items'] === 'object') visit(node['items'] as Node, `${path}[]`, problems);
}

function matchesType(value: unknown, type: string): boolean {
  if (type === 'object') return typeof value === 'object' && value !== null && !Array.isArray(value);
  if (type === 'array') return Array.isArray(value);
  if (type === 'integer') return Number.isInteger(value);
  return typeof value === type;
}

function isIntOrStringPattern(anyOf: unknown): boolean {
  if (!Array.isArray(anyOf) || anyOf.length !== 2) return false;
  const [a, b] = anyOf as Node[];
  return (
    a?.['type'] === 'integer' && b?.['type'] === 'string' && Object.keys(a).length === 1 && Object.keys(b).length === 1
  );
}

/** Rule 4: metadata may only restrict name and generateName; Brook leaves it as `type: object`. */
export function metadataProblems(schema: Node): StructuralProblem[] {
  const metadata = (schema['properties'] as Record<string, Node> | undefined)?.['metadata'];
  if (metadata === undefined) return [];
  const extra = Object.keys(metadata).filter((key) => key !== 'type');
  return extra.length === 0 && metadata['type'] === 'object'
    ? []
    : [{ path: 'metadata', problem: `must be just {type: object}, has ${Object.keys(metadata).join(', ')}` }];
}
