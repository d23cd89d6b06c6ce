// `${VAR}` and `${VAR:default}` in configuration values, from the environment.
// `$${...}` is a literal `${...}`. Runs on the parsed tree (not the text), so
// a value can never inject YAML and every problem names its path.
import type { ConfigProblem } from './errors.ts';
import { formatPath } from './paths.ts';

export type Environment = Readonly<Record<string, string | undefined>>;

const reference = /\$\$\{|\$\{([^}]*)\}/g;
const body = /^([A-Za-z_][A-Za-z0-9_]*)(?::([\s\S]*))?$/;

/**
 * Replaces the references in one string. A default applies when the variable
 * is unset or empty (as `${VAR:-default}` in a shell); `${VAR}` without a
 * default must be set.
 */
export function interpolateString(text: string, env: Environment): { value: string; problems: string[] } {
  const problems: string[] = [];
  const value = text.replace(reference, (match, inner: string | undefined) => {
    if (match === '$${') return '${';
    const parsed = body.exec(inner!.trim());
    if (!parsed) {
      problems.push(`'${match}' is not a valid reference: use \${NAME} or \${NAME:default}`);
      return match;
    }
    const [, name, fallback] = parsed;
    const set = env[name!];
    if (fallback !== undefined) return set === undefined || set === '' ? fallback : set;
    if (set === undefined) {
      problems.push(`environment variable ${name} is not set (write \${${name}:default} to give a default)`);
      return match;
    }
    return set;
  });
  return { value, problems };
}

/** Interpolates every string in a tree of plain data; a value with a problem is left out. */
export function interpolate(tree: unknown, env: Environment): { value: unknown; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const walk = (node: unknown, path: (string | number)[]): unknown => {
    if (typeof node === 'string') {
      const result = interpolateString(node, env);
      for (const message of result.problems) problems.push({ where: formatPath(path), message });
      return result.problems.length > 0 ? undefined : result.value;
    }
    if (Array.isArray(node)) return node.map((item, i) => walk(item, [...path, i]));
    if (typeof node === 'object' && node !== null)
      return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, walk(value, [...path, key])]));
    return node;
  };
  return { value: walk(tree, []), problems };
}
