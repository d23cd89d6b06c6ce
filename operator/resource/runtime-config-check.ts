// Checks the runtime keys of a Flink-style configuration map against the
// runtime's own schema (runtime/config/schema.ts), as the JobManager will read
// them from the ConfigMap, so a key it would refuse is found before any pod
// starts. Only the keys given are judged: what another layer may still add
// (the resource's own config, the pod's environment) is not asked of them.
import type { z } from 'zod';
import { configSchema } from '../../runtime/config/schema.ts';
import { configErrorMap, unknownKeyMessage } from '../../runtime/config/issues.ts';
import { flinkKeys, fromFlinkKey } from '../../runtime/config/flink-keys.ts';
import { formatPath, parsePath, type ConfigPath } from '../../runtime/config/paths.ts';
import { deepMerge, expandDottedKeys } from '../../runtime/config/profiles.ts';
import { isOperatorKey } from './config-keys.ts';

export interface RuntimeKeyProblem {
  /** The key as written in the map. */
  key: string;
  message: string;
}

/**
 * What every pod the operator makes has besides the map: a cluster secret ($BROOK_CLUSTER_SECRET from the
 * deployment's Secret), so `cluster.encryption: true` is not refused for the want of one.
 */
const fromThePod = { cluster: { secret: 'x'.repeat(32) } };

const startsWith = (path: ConfigPath, prefix: ConfigPath) =>
  prefix.length <= path.length && prefix.every((segment, i) => path[i] === segment);

/** The Flink key for a Brook path, when there is one, as users of the operator write keys. */
function asWritten(path: string): string {
  return Object.entries(flinkKeys).find(([, brook]) => brook === path)?.[0] ?? path;
}

/**
 * Problems of the runtime keys (those not `kubernetes.operator.*`) of `config`, each naming its key.
 * A value with `${VAR}` in it is interpolated in the pod, so only its key is judged here.
 */
export function runtimeKeyProblems(config: Readonly<Record<string, string>>): RuntimeKeyProblem[] {
  const problems: RuntimeKeyProblem[] = [];
  const keys: { key: string; path: ConfigPath; interpolated: boolean }[] = [];
  const layer: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (isOperatorKey(key)) continue;
    const parsed = parsePath(fromFlinkKey(key, value).key);
    if ('reason' in parsed) {
      problems.push({ key, message: `bad key: ${parsed.reason}` });
      continue;
    }
    keys.push({ key, path: parsed.path, interpolated: value.includes('${') });
    layer[key] = value;
  }
  const expanded = expandDottedKeys(layer, []);
  for (const problem of expanded.problems) problems.push({ key: problem.where, message: problem.message });
  const tree = deepMerge(fromThePod, expanded.tree);
  const result = configSchema.safeParse(tree, { error: configErrorMap });
  if (result.success) return problems;
  for (const issue of result.error.issues) problems.push(...problemsOfIssue(issue, keys, tree));
  return problems;
}

function problemsOfIssue(
  issue: z.core.$ZodIssue,
  keys: readonly { key: string; path: ConfigPath; interpolated: boolean }[],
  tree: unknown,
): RuntimeKeyProblem[] {
  const path = issue.path as ConfigPath;
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.flatMap((unknown) => {
      const message = unknownKeyMessage(configSchema, path, unknown, tree, asWritten);
      // `state.checkpoint.dir` is unknown at `state.checkpoint`: the key's path starts with the unknown one.
      return keys.filter((k) => startsWith(k.path, [...path, unknown])).map((k) => ({ key: k.key, message }));
    });
  }
  // An issue at or under a key's own path is about its value; one elsewhere (a field the map does not set,
  // a rule across fields) is left to the layers that may still complete it.
  return keys
    .filter((k) => !k.interpolated && startsWith(path, k.path))
    .map((k) => ({
      key: k.key,
      message: path.length > k.path.length ? `${formatPath(path)}: ${issue.message}` : issue.message,
    }));
}
