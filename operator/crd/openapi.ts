// Turns the JSON Schema that zod writes (draft 2020-12) into the structural
// OpenAPI v3 subset a CustomResourceDefinition accepts: one type per node, no
// $ref or junctors, maps as additionalProperties, opaque parts as
// x-kubernetes-preserve-unknown-fields, int-or-string as its own marker.
import { z } from 'zod';
import { SchemaNotStructuralError } from './errors.ts';

export type OpenApiSchema = { [key: string]: unknown };
type JsonSchema = { [key: string]: unknown };

/** Keys zod may write that have no meaning (or no place) in a CRD schema. */
const dropped = new Set(['$schema', 'propertyNames', 'id', '$id']);
/** Constructs a structural schema forbids, or that apiextensions.k8s.io/v1 does not know. */
const forbidden = [
  '$ref',
  '$defs',
  'definitions',
  'allOf',
  'oneOf',
  'not',
  'if',
  'then',
  'else',
  'patternProperties',
  'prefixItems',
  'additionalItems',
  'dependentSchemas',
];
/** zod's bounds for a plain `.int()`: the safe-integer range, which says nothing to Kubernetes. */
const SAFE = Number.MAX_SAFE_INTEGER;
/** The order keys are written in, so generated files are stable and readable. */
const keyOrder = [
  'type',
  'description',
  'format',
  'enum',
  'default',
  'nullable',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'maxProperties',
  'required',
  'properties',
  'additionalProperties',
  'items',
];

/** The structural OpenAPI schema of a zod schema, as the API server reads input (defaults optional). */
export function openApiSchemaOf(schema: z.ZodType): OpenApiSchema {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'throw' }) as JsonSchema;
  return toOpenApi(json, '');
}

export function toOpenApi(node: JsonSchema, path: string): OpenApiSchema {
  for (const key of forbidden) {
    if (key in node) throw new SchemaNotStructuralError(path, `uses ${key}, which a structural schema cannot have`);
  }
  if (node['uniqueItems'] === true) {
    throw new SchemaNotStructuralError(path, 'sets uniqueItems (Kubernetes refuses it: checking it is quadratic)');
  }
  if (node['x-kubernetes-int-or-string'] === true) return intOrString(node);

  const out: OpenApiSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (dropped.has(key)) continue;
    if ((key === 'minimum' && value === -SAFE) || (key === 'maximum' && value === SAFE)) continue;
    out[key] = value;
  }
  if ('const' in out) {
    out['enum'] = [out['const']];
    delete out['const'];
  }
  if ('anyOf' in out) {
    const merged = mergeEnumUnion(out['anyOf'] as JsonSchema[], path);
    delete out['anyOf'];
    Object.assign(out, merged);
  }
  normaliseType(out, path);

  if (out['type'] === 'object') convertObject(out, path);
  if (out['type'] === 'array') {
    if (typeof out['items'] !== 'object' || out['items'] === null) {
      throw new SchemaNotStructuralError(path, 'is an array without one items schema');
    }
    out['items'] = toOpenApi(out['items'] as JsonSchema, `${path}[]`);
  }
  return ordered(out);
}

function intOrString(node: JsonSchema): OpenApiSchema {
  const out: OpenApiSchema = { 'x-kubernetes-int-or-string': true };
  if (node['description'] !== undefined) out['description'] = node['description'];
  if (node['default'] !== undefined) out['default'] = node['default'];
  return out;
}

/** A union of literals (zod's enum of mixed unions) becomes one enum; anything else has no structural form. */
function mergeEnumUnion(variants: JsonSchema[], path: string): OpenApiSchema {
  const values: unknown[] = [];
  let type: unknown;
  for (const variant of variants) {
    const literals =
      (variant['enum'] as unknown[] | undefined) ?? ('const' in variant ? [variant['const']] : undefined);
    if (!literals || (type !== undefined && variant['type'] !== type)) {
      throw new SchemaNotStructuralError(
        path,
        'is a union that is not one enum; use x-kubernetes-int-or-string or one type',
      );
    }
    type = variant['type'];
    values.push(...literals);
  }
  return { type, enum: values };
}

/** `type: [string, null]` becomes `type: string, nullable: true`. */
function normaliseType(out: OpenApiSchema, path: string): void {
  const type = out['type'];
  if (!Array.isArray(type)) return;
  const types = type.filter((t) => t !== 'null');
  if (types.length !== 1) throw new SchemaNotStructuralError(path, `has several types (${type.join(', ')})`);
  out['type'] = types[0];
  if (types.length !== type.length) out['nullable'] = true;
}

function convertObject(out: OpenApiSchema, path: string): void {
  const preserve = out['x-kubernetes-preserve-unknown-fields'] === true;
  const properties = out['properties'] as Record<string, JsonSchema> | undefined;
  const additional = out['additionalProperties'];
  if (properties && Object.keys(properties).length === 0 && preserve) delete out['properties'];
  else if (properties) {
    out['properties'] = Object.fromEntries(
      Object.entries(properties).map(([name, child]) => [name, toOpenApi(child, path ? `${path}.${name}` : name)]),
    );
  }
  // A map of anything, or a closed object: pruning already drops unknown fields, so neither needs saying.
  if (
    additional === false ||
    (typeof additional === 'object' && additional !== null && Object.keys(additional).length === 0)
  ) {
    delete out['additionalProperties'];
    if (!preserve && !out['properties']) {
      throw new SchemaNotStructuralError(
        path,
        'is an object of anything; mark it x-kubernetes-preserve-unknown-fields',
      );
    }
  } else if (typeof additional === 'object' && additional !== null) {
    out['additionalProperties'] = toOpenApi(additional as JsonSchema, `${path}.*`);
  }
  if (out['properties'] && out['additionalProperties']) {
    throw new SchemaNotStructuralError(path, 'has both properties and additionalProperties');
  }
}

function ordered(node: OpenApiSchema): OpenApiSchema {
  const rank = (key: string) => {
    const i = keyOrder.indexOf(key);
    return i === -1 ? keyOrder.length + (key.startsWith('x-') ? 1 : 0) : i;
  };
  return Object.fromEntries(Object.entries(node).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b)));
}
