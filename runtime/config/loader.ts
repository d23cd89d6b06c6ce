// Loads the configuration: the YAML file's base and selected profile, `${VAR}`
// interpolation, `--set` overrides, then one validation by zod. Every problem
// of every step is collected and reported in one ConfigurationError.
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { makeConfiguration, type Configuration } from './configuration.ts';
import { ConfigurationError, type ConfigProblem, type ConfigSource } from './errors.ts';
import { interpolate, type Environment } from './interpolation.ts';
import { configErrorMap, problemsOf } from './issues.ts';
import { applyOverrides, type Tree } from './overrides.ts';
import { deepMerge, isObject, selectProfile } from './profiles.ts';
import { configSchema } from './schema.ts';

export interface LoadOptions {
  /** The YAML file to read (`--config`). */
  file?: string;
  /** The file's content when already read; `file` then only names it in messages. */
  text?: string;
  /** The profile (`--env`); default: $BROOK_ENV. */
  profile?: string;
  /** `key=value` assignments (`--set`), applied in order over the file. */
  overrides?: readonly string[];
  /** Values under everything else, e.g. the job name derived from the module path. */
  defaults?: Tree;
  /** Variables for interpolation and the AWS defaults (default: process.env). */
  env?: Environment;
}

/**
 * Defaults from the environment: the standard AWS variables for the `s3`
 * section, as the AWS SDK and CLI read them, and $BROOK_CLUSTER_SECRET (from a
 * Kubernetes Secret, never on a command line).
 */
export function awsDefaults(env: Environment): Tree {
  const cluster = env.BROOK_CLUSTER_SECRET ? { cluster: { secret: env.BROOK_CLUSTER_SECRET } } : {};
  const s3 = {
    endpoint: env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined,
    accessKeyId: env.AWS_ACCESS_KEY_ID || undefined,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY || undefined,
  };
  return { ...cluster, s3: Object.fromEntries(Object.entries(s3).filter(([, v]) => v !== undefined)) };
}

/** YAML's empty values (`key:`) and nulls mean "not set", so defaults apply. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== null && v !== undefined).map(withoutNulls);
  if (isObject(value))
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== null && v !== undefined)
        .map(([k, v]) => [k, withoutNulls(v)]),
    );
  return value;
}

function readYaml(text: string, file: string): { content: Tree; problems: ConfigProblem[] } {
  const doc = parseDocument(text);
  // The first syntax error only: the ones after it are mostly its echoes.
  const problems = doc.errors.slice(0, 1).map((error) => {
    const at = error.linePos?.[0];
    // The position goes first, as compilers write it; yaml's pretty message repeats it at the end.
    let message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    if (at && text.split('\n')[at.line - 1]?.includes('${'))
      message += " (inside { } or [ ], quote a reference: '${VAR}')";
    return { where: at ? `${file}:${at.line}:${at.col}` : file, message };
  });
  if (problems.length > 0) return { content: {}, problems };
  const content: unknown = doc.toJS();
  if (content === null || content === undefined) return { content: {}, problems };
  if (!isObject(content))
    return { content: {}, problems: [{ where: file, message: 'expected a YAML mapping of settings' }] };
  return { content, problems };
}

function readFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new ConfigurationError(
      [{ where: file, message: `cannot read the configuration file: ${reason}` }],
      { file },
      { cause: error },
    );
  }
}

const under = (where: string, parent: string) =>
  where === parent || where.startsWith(`${parent}.`) || where.startsWith(`${parent}[`);

/**
 * The effective configuration, validated, or a ConfigurationError listing every problem.
 *
 * @example
 * const config = loadConfiguration({ file: 'brook.yaml', profile: 'production', overrides: ['job.parallelism=4'] });
 */
export function loadConfiguration(options: LoadOptions = {}): Configuration {
  const env = options.env ?? process.env;
  const profile = options.profile ?? (env.BROOK_ENV || undefined);
  const source: ConfigSource = {
    file: options.file,
    profile: options.file === undefined && options.text === undefined ? undefined : profile,
  };
  const problems: ConfigProblem[] = [];

  let fileTree: Tree = {};
  if (options.file !== undefined || options.text !== undefined) {
    const name = options.file ?? '(configuration)';
    const { content, problems: yamlProblems } = readYaml(options.text ?? readFile(name), name);
    problems.push(...yamlProblems);
    const selected = selectProfile(content, profile, name);
    problems.push(...selected.problems);
    fileTree = deepMerge(selected.base, selected.profile);
  } else if (options.profile !== undefined) {
    problems.push({
      where: 'profiles',
      message: `profile '${options.profile}' selected, but no configuration file given`,
    });
  }

  const interpolated = interpolate(fileTree, env);
  problems.push(...interpolated.problems);
  const tree = deepMerge(deepMerge(awsDefaults(env), options.defaults ?? {}), interpolated.value as Tree);
  problems.push(...applyOverrides(tree, options.overrides ?? []));

  const settings = withoutNulls(tree);
  const parsed = configSchema.safeParse(settings, { error: configErrorMap });
  if (!parsed.success) {
    // A value already reported (an unset variable) is not reported again as missing.
    const reported = interpolated.problems.map((p) => p.where);
    problems.push(
      ...problemsOf(parsed.error, configSchema, settings).filter((p) => !reported.some((r) => under(p.where, r))),
    );
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigurationError(problems, source);
  return makeConfiguration(parsed.data, source);
}
