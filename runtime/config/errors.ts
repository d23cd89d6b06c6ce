// The configuration's typed error: every problem found (syntax, interpolation,
// overrides, validation), each with the path it is about, reported together.
import { inspect } from 'node:util';
import { BrookError } from '../errors.ts';

/** A value as problems quote it: strings in quotes, lists and objects by kind. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'an object';
  return inspect(value);
}

export interface ConfigProblem {
  /** Where: a configuration path (`checkpoints.interval`), `--set KEY`, or the file. */
  where: string;
  message: string;
}

export interface ConfigSource {
  /** The YAML file read, if any. */
  file?: string;
  /** The profile selected with --env or BROOK_ENV, if any. */
  profile?: string;
}

export function describeSource(source: ConfigSource): string {
  const parts = [
    source.file === undefined ? '' : ` in ${source.file}`,
    source.profile ? ` (profile ${source.profile})` : '',
  ];
  return parts.join('');
}

/**
 * The configuration is not valid. `problems` lists each one; the message shows
 * them all, one per line when there are several.
 */
export class ConfigurationError extends BrookError {
  constructor(
    readonly problems: readonly ConfigProblem[],
    readonly source: ConfigSource = {},
    options?: { cause?: unknown },
  ) {
    const lines = problems.map((p) => `${p.where}: ${p.message}`);
    const head = `invalid configuration${describeSource(source)}`;
    super(
      'BROOK_CONFIG_INVALID',
      lines.length === 1 ? `${head}: ${lines[0]}` : `${head}, ${lines.length} problems:\n  ${lines.join('\n  ')}`,
      options,
    );
  }
}
