// `--set key.path=value`: the value is read as a YAML scalar (so 4 is a number
// and true a boolean), or as a YAML flow list/object when it starts with [ or {;
// `null` removes the key so its default applies. Flink's key names are accepted.
import { isScalar, parseDocument } from 'yaml';
import type { ConfigProblem } from './errors.ts';
import { fromFlinkKey } from './flink-keys.ts';
import { formatPath, parsePath } from './paths.ts';

export type Tree = Record<string, unknown>;

/** `4` → 4, `true` → true, `"4"` → "4", `[a, b]` → ['a', 'b'], `null` → null, anything else → the text. */
export function parseValue(text: string): { value: unknown } | { reason: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { value: '' };
  const doc = parseDocument(trimmed);
  if (/^[[{]/.test(trimmed)) {
    const error = doc.errors[0];
    return error ? { reason: `the value is not valid YAML: ${error.message.split('\n')[0]}` } : { value: doc.toJS() };
  }
  const node = doc.contents;
  // A '#' or ': ' inside a password or URL is part of the value, not YAML syntax.
  const plainScalar = doc.errors.length === 0 && isScalar(node) && !node.comment && !node.commentBefore && !doc.comment;
  return { value: plainScalar ? (doc.toJS() as unknown) : text };
}

const isContainer = (value: unknown): value is Tree | unknown[] => typeof value === 'object' && value !== null;

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (isContainer(value)) return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * Sets `value` at `path` in `tree` (in place), creating objects and lists on
 * the way; `null` deletes. Returns why not when the path runs into a scalar or
 * past the end of a list.
 */
export function setAtPath(tree: Tree, path: readonly (string | number)[], value: unknown): string | undefined {
  let container: Tree | unknown[] = tree;
  for (let i = 0; i < path.length; i++) {
    const last = i === path.length - 1;
    let segment = path[i]!;
    const here = formatPath(path.slice(0, i));
    if (Array.isArray(container)) {
      if (typeof segment === 'string' && !/^\d+$/.test(segment)) return `${here} is a list: use ${here}[index]`;
      segment = Number(segment);
      if (segment > container.length)
        return `index ${segment} is past the end of ${here} (${container.length} item(s))`;
    } else if (typeof segment === 'number') {
      return `${here} is an object, not a list`;
    }
    const slot = container as Record<string | number, unknown>;
    if (last) {
      if (value !== null) slot[segment] = value;
      else if (Array.isArray(container)) container.splice(segment as number, 1);
      else delete slot[segment];
      return undefined;
    }
    const next = slot[segment];
    if (next === undefined || next === null) slot[segment] = typeof path[i + 1] === 'number' ? [] : {};
    else if (!isContainer(next)) return `${formatPath(path.slice(0, i + 1))} is ${describe(next)}, not an object`;
    container = slot[segment] as Tree | unknown[];
  }
  return 'the key is empty';
}

/** Applies `key=value` assignments in order (later ones win); every bad one is a problem. */
export function applyOverrides(tree: Tree, assignments: readonly string[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=');
    const rawKey = eq < 0 ? assignment : assignment.slice(0, eq);
    const where = `--set ${rawKey}`;
    if (eq < 0) {
      problems.push({ where, message: 'expected key=value' });
      continue;
    }
    const parsedValue = parseValue(assignment.slice(eq + 1));
    if ('reason' in parsedValue) {
      problems.push({ where, message: parsedValue.reason });
      continue;
    }
    const { key, value } = fromFlinkKey(rawKey.trim(), parsedValue.value);
    const parsedPath = parsePath(key);
    if ('reason' in parsedPath) {
      problems.push({ where, message: `bad key: ${parsedPath.reason}` });
      continue;
    }
    // Tried on a copy first, so a path that fails half-way leaves no empty objects behind.
    const reason = setAtPath(structuredClone(tree), parsedPath.path, value);
    if (reason) problems.push({ where, message: `cannot set: ${reason}` });
    else setAtPath(tree, parsedPath.path, value);
  }
  return problems;
}
