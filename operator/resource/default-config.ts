// The operator's default configuration (the chart's `defaultConfiguration`, the
// Flink operator's `defaultConfiguration`): keys every StreamDeployment gets
// unless its own spec.config sets them. The operator reconciles the merged
// spec, so status.reconciliation.lastReconciledSpec records what a job really
// runs with, and the checkpoint and savepoint directories it restores from are
// the ones it wrote to even after the defaults change.
import { parse } from 'yaml';
import { BrookError } from '../../runtime/errors.ts';
import type { StreamDeploymentSpec } from './stream-deployment-spec.ts';
import { readOperatorSettings } from './operator-settings.ts';
import { OperatorSettingInvalidError } from './errors.ts';
import { isStorageUri, storageUriExpected, storageUriKeys } from './validation-rules.ts';
import { runtimeKeyProblems } from './runtime-config-check.ts';

export type DefaultConfig = Readonly<Record<string, string>>;

export class DefaultConfigInvalidError extends BrookError {
  constructor(source: string, problem: string) {
    super('BROOK_OPERATOR_DEFAULT_CONFIG_INVALID', `default configuration ${source}: ${problem}`);
  }
}

/** The spec with the defaults under its own config: a key the resource sets wins. */
export function withDefaultConfig(spec: StreamDeploymentSpec, defaults: DefaultConfig): StreamDeploymentSpec {
  if (Object.keys(defaults).length === 0) return spec;
  return { ...spec, config: { ...defaults, ...spec.config } };
}

/**
 * Reads a default configuration file: a flat YAML map of Flink-style keys to
 * scalars (numbers and booleans are taken as their text, as in spec.config).
 * Every key is checked here, so a bad default stops the operator at start
 * instead of refusing every resource or failing every JobManager: operator
 * settings as a resource's are, storage URIs by the resource's rules, and
 * runtime keys as the runtime will read them. `source` names the file in errors.
 */
export function parseDefaultConfig(text: string, source: string): DefaultConfig {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new DefaultConfigInvalidError(source, `not YAML (${(error as Error).message})`);
  }
  if (document === null || document === undefined) return {};
  if (typeof document !== 'object' || Array.isArray(document)) {
    throw new DefaultConfigInvalidError(source, 'must be a map of configuration keys to values');
  }
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(document)) {
    if (typeof value === 'string') config[key] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') config[key] = String(value);
    else {
      throw new DefaultConfigInvalidError(
        source,
        `"${key}" must be a single value (write keys flat, as "state.checkpoints.dir: s3://…")`,
      );
    }
  }
  try {
    readOperatorSettings(config);
  } catch (error) {
    if (!(error instanceof OperatorSettingInvalidError)) throw error;
    throw new DefaultConfigInvalidError(source, `"${error.key}" must be ${error.expected}, got '${error.value}'`);
  }
  // The resource's own rule first: the runtime alone would also take a bare /path, the operator does not.
  for (const key of storageUriKeys) {
    const value = config[key];
    if (value !== undefined && !isStorageUri(value))
      throw new DefaultConfigInvalidError(source, `"${key}" must be ${storageUriExpected}, got '${value}'`);
  }
  const problems = runtimeKeyProblems(config);
  if (problems.length > 0) {
    throw new DefaultConfigInvalidError(source, problems.map((p) => `"${p.key}": ${p.message}`).join('; '));
  }
  return config;
}
