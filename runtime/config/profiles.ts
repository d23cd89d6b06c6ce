// Environment profiles: the file's top level is the base, `profiles.<name>`
// holds what differs per environment; the selected profile is deep-merged
// over the base. Also: dotted top-level keys (`checkpoints.interval: 10s`,
// Flink's `state.checkpoints.dir: ...`) are paths, as in the operator's file.
import type { ConfigProblem } from './errors.ts';
import { fromFlinkKey } from './flink-keys.ts';
import { setAtPath, type Tree } from './overrides.ts';
import { formatPath, parsePath } from './paths.ts';

export const isObject = (value: unknown): value is Tree =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Merges `over` into `base`: objects key by key, everything else (lists too)
 * replaced; `null` removes the key. An object whose `type` changes (a restart
 * strategy) is replaced whole, since the other variant's fields do not apply.
 */
export function deepMerge(base: Tree, over: Tree): Tree {
  const merged: Tree = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = merged[key];
    if (value === null) delete merged[key];
    else if (isObject(current) && isObject(value) && (value.type === undefined || value.type === current.type))
      merged[key] = deepMerge(current, value);
    else merged[key] = value;
  }
  return merged;
}

/** Turns top-level `a.b.c: v` entries of one layer into nested ones (over the nested entries of that layer). */
export function expandDottedKeys(layer: Tree, prefix: readonly string[]): { tree: Tree; problems: ConfigProblem[] } {
  const tree: Tree = {};
  const dotted: [string, unknown][] = [];
  for (const [key, value] of Object.entries(layer)) {
    if (key.includes('.') || key.includes('[')) dotted.push([key, value]);
    else tree[key] = value;
  }
  const problems: ConfigProblem[] = [];
  for (const [rawKey, rawValue] of dotted) {
    const { key, value } = fromFlinkKey(rawKey, rawValue);
    const parsed = parsePath(key);
    const reason = 'reason' in parsed ? `bad key: ${parsed.reason}` : setAtPath(tree, parsed.path, value);
    if (reason) problems.push({ where: [...prefix, rawKey].join('.'), message: reason });
  }
  return { tree, problems };
}

export interface ProfileSelection {
  base: Tree;
  profile: Tree;
  problems: ConfigProblem[];
}

/** Splits a file's content into its base and the overrides of profile `name` (none when undefined). */
export function selectProfile(content: Tree, name: string | undefined, file: string): ProfileSelection {
  const { profiles, ...rest } = content;
  const problems: ConfigProblem[] = [];
  const base = expandDottedKeys(rest, []);
  problems.push(...base.problems);
  if (profiles !== undefined && !isObject(profiles)) {
    problems.push({ where: 'profiles', message: 'expected an object of profile name → settings' });
    return { base: base.tree, profile: {}, problems };
  }
  if (name === undefined) return { base: base.tree, profile: {}, problems };
  const defined = Object.keys(profiles ?? {});
  const chosen = profiles?.[name];
  if (chosen === undefined) {
    const known = defined.length > 0 ? `defined: ${defined.join(', ')}` : 'it defines no profiles';
    problems.push({ where: 'profiles', message: `profile '${name}' is not defined in ${file} (${known})` });
    return { base: base.tree, profile: {}, problems };
  }
  if (chosen === null) return { base: base.tree, profile: {}, problems };
  if (!isObject(chosen)) {
    problems.push({ where: formatPath(['profiles', name]), message: 'expected an object of settings' });
    return { base: base.tree, profile: {}, problems };
  }
  const profile = expandDottedKeys(chosen, ['profiles', name]);
  problems.push(...profile.problems);
  return { base: base.tree, profile: profile.tree, problems };
}
