// zod's issues as configuration problems: zod finds them (with their paths);
// this says them the way a user reads them, `checkpoints.interval: expected a
// duration like 10s, got "ten"`, and suggests the key meant for an unknown one.
import type { z } from 'zod';
import { describeValue as show, type ConfigProblem } from './errors.ts';
import { formatPath, type ConfigPath } from './paths.ts';
import { knownPaths, objectShapes, schemaAt } from './schema-walk.ts';

const expectedNames: Record<string, string> = {
  int: 'a whole number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  record: 'an object',
};

/** Passed to safeParse: messages that name the expectation and the value found. */
export const configErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `expected ${expectedNames[issue.expected] ?? issue.expected}, got ${show(issue.input)}`;
    case 'invalid_value':
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(' | ')}, got ${show(issue.input)}`;
    case 'too_small':
      if (issue.origin === 'array') return `needs at least ${issue.minimum as number} item(s)`;
      if (issue.origin === 'string') return 'must not be empty';
      return `must be ${issue.inclusive === false ? 'more than' : 'at least'} ${issue.minimum as number}, got ${show(issue.input)}`;
    case 'too_big':
      return `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${issue.maximum as number}, got ${show(issue.input)}`;
    case 'invalid_union':
      if (issue.discriminator !== undefined && typeof issue.input === 'object' && issue.input !== null) {
        const found = (issue.input as Record<string, unknown>)[issue.discriminator];
        const options = (issue.options as unknown[]).map((v) => JSON.stringify(v)).join(' | ');
        return found === undefined ? `is required: one of ${options}` : `expected ${options}, got ${show(found)}`;
      }
      return undefined;
    case 'invalid_format':
      return `expected ${issue.format === 'url' ? 'a URL' : `a ${issue.format}`}, got ${show(issue.input)}`;
    default:
      return undefined;
  }
};

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The key probably meant: a sibling a typo away, or a known key elsewhere with that name. */
export function suggestKey(schema: z.ZodType, parent: ConfigPath, key: string, value: unknown): string | undefined {
  const here = schemaAt(schema, parent, value);
  const siblings = here ? objectShapes(here).flatMap((s) => Object.keys(s.shape)) : [];
  const near = siblings
    .map((name) => ({ name, distance: editDistance(name.toLowerCase(), key.toLowerCase()) }))
    .filter((s) => s.distance <= Math.max(key.length <= 3 ? 1 : 2, Math.floor(key.length / 4)))
    .sort((a, b) => a.distance - b.distance)[0];
  if (near) return formatPath([...parent, near.name]);
  const elsewhere = knownPaths(schema).filter((p) => p.at(-1)!.toLowerCase() === key.toLowerCase());
  return elsewhere.length === 1 ? formatPath(elsewhere[0]!) : undefined;
}

/**
 * What is said of unknown `key` under `parent`: with the key probably meant, spelt by `spell` (the runtime's
 * dotted path unless a caller writes keys otherwise, as the operator's Flink-style maps do).
 */
export function unknownKeyMessage(
  schema: z.ZodType,
  parent: ConfigPath,
  key: string,
  value: unknown,
  spell: (path: string) => string = (path) => path,
): string {
  const suggestion = suggestKey(schema, parent, key, value);
  return `unknown key${suggestion ? ` (did you mean ${spell(suggestion)}?)` : ''}`;
}

/** One problem per issue, and one per unknown key, each at its full path. */
export function problemsOf(error: z.ZodError, schema: z.ZodType, value: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push({
          where: formatPath([...(issue.path as ConfigPath), key]),
          message: unknownKeyMessage(schema, issue.path as ConfigPath, key, value),
        });
      }
    } else {
      problems.push({ where: formatPath(issue.path as ConfigPath), message: issue.message });
    }
  }
  return problems;
}
