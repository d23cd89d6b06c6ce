// Reads the configuration schema's structure (through zod's own classes), so
// printing, key suggestions and the docs reference follow the schema rather
// than a second copy of it.
import { z } from 'zod';
import { quantityKinds } from './durations.ts';

export interface Field {
  /** The schema under optional/default/preprocess wrappers. */
  core: z.ZodType;
  /** `duration` or `size` when the value is a parsed quantity. */
  quantity: 'duration' | 'size' | undefined;
  optional: boolean;
  /** The default (output) value, when there is one. */
  defaultValue: unknown;
  hasDefault: boolean;
  description: string | undefined;
}

/** Strips the wrappers around a field's schema and collects what they say. */
export function inspectField(schema: z.ZodType): Field {
  const field: Field = {
    core: schema,
    quantity: undefined,
    optional: false,
    defaultValue: undefined,
    hasDefault: false,
    description: undefined,
  };
  let current: z.ZodType = schema;
  for (;;) {
    field.description ??= current.description;
    const kind = quantityKinds.get(current);
    if (kind) {
      field.quantity = kind.quantity;
      break;
    }
    if (current instanceof z.ZodOptional || current instanceof z.ZodNullable) {
      field.optional = true;
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodDefault) {
      if (!field.hasDefault) {
        field.hasDefault = true;
        field.defaultValue = current._zod.def.defaultValue;
      }
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodPrefault) {
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodPipe) {
      // A preprocess pipe's schema is its output side; a transform's is its input side.
      current = (current.in instanceof z.ZodTransform ? current.out : current.in) as z.ZodType;
    } else {
      break;
    }
  }
  field.core = current;
  return field;
}

/** The object schemas a value may be checked against at this field (one, or each variant of a union). */
export function objectShapes(schema: z.ZodType): z.ZodObject[] {
  const { core } = inspectField(schema);
  if (core instanceof z.ZodObject) return [core];
  if (core instanceof z.ZodUnion) return (core.options as z.ZodType[]).flatMap(objectShapes);
  return [];
}

/** The schema of the child `segment` of a value checked by `schema`, given the value (for unions). */
export function childSchema(schema: z.ZodType, segment: string | number, value: unknown): z.ZodType | undefined {
  const { core } = inspectField(schema);
  if (core instanceof z.ZodArray) return typeof segment === 'number' ? (core.element as z.ZodType) : undefined;
  if (core instanceof z.ZodRecord) return core.valueType as z.ZodType;
  if (typeof segment !== 'string') return undefined;
  const shapes = objectShapes(schema);
  const matching = shapes.find((shape) => objectMatches(shape, value)) ?? shapes[0];
  return matching?.shape[segment] as z.ZodType | undefined;
}

/** For a union of objects: whether the literal fields (the discriminator) agree with the value. */
function objectMatches(shape: z.ZodObject, value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(shape.shape).every(([key, field]) => {
    const { core } = inspectField(field as z.ZodType);
    return !(core instanceof z.ZodLiteral) || core.values.has((value as Record<string, unknown>)[key] as never);
  });
}

/** The schema at `path` in `root`, following `value` through unions; undefined past free-form parts. */
export function schemaAt(root: z.ZodType, path: readonly (string | number)[], value: unknown): z.ZodType | undefined {
  let schema: z.ZodType | undefined = root;
  let current = value;
  for (const segment of path) {
    if (!schema) return undefined;
    schema = childSchema(schema, segment, current);
    current =
      typeof current === 'object' && current !== null ? (current as Record<string, unknown>)[segment] : undefined;
  }
  return schema;
}

/** Every leaf key path the schema knows (objects expanded, union variants merged). */
export function knownPaths(schema: z.ZodType, prefix: string[] = []): string[][] {
  const shapes = objectShapes(schema);
  if (shapes.length === 0) return prefix.length > 0 ? [prefix] : [];
  const paths: string[][] = [];
  const seen = new Set<string>();
  for (const shape of shapes)
    for (const [key, field] of Object.entries(shape.shape))
      for (const path of knownPaths(field as z.ZodType, [...prefix, key])) {
        const id = path.join('.');
        if (seen.has(id)) continue;
        seen.add(id);
        paths.push(path);
      }
  return paths;
}
