// The validated configuration as a job sees it (`env.config`): the typed
// settings, where they came from, and `userSection` for the job's own part.
import type { z } from 'zod';
import { ConfigurationError, type ConfigSource } from './errors.ts';
import { configErrorMap, problemsOf } from './issues.ts';
import { configSchema, type BrookConfig } from './schema.ts';

type DeepReadonly<T> = T extends (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

export type Configuration = DeepReadonly<BrookConfig> & {
  /** The file and profile the settings came from (not enumerable: printing shows settings only). */
  readonly source: ConfigSource;
  /**
   * Validates the `user` section with the job's own schema; a bad value is a
   * ConfigurationError naming `user.<path>`.
   *
   * @example
   * const { topic, windowSize } = env.config.userSection(
   *   z.object({ topic: z.string().default('orders'), windowSize: z.number().default(60_000) }),
   * );
   */
  userSection<S extends z.ZodType>(schema: S): z.output<S>;
};

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Wraps validated settings; the result is frozen, so a job cannot change what others read. */
export function makeConfiguration(settings: BrookConfig, source: ConfigSource = {}): Configuration {
  const config = structuredClone(settings);
  Object.defineProperties(config, {
    source: { value: Object.freeze({ ...source }), enumerable: false },
    userSection: {
      enumerable: false,
      value: <S extends z.ZodType>(schema: S): z.output<S> => {
        const parsed = schema.safeParse(config.user, { error: configErrorMap });
        if (parsed.success) return parsed.data;
        const problems = problemsOf(parsed.error, schema, config.user).map((p) => ({
          ...p,
          where: p.where === '(root)' ? 'user' : p.where.startsWith('[') ? `user${p.where}` : `user.${p.where}`,
        }));
        throw new ConfigurationError(problems, source);
      },
    },
  });
  return deepFreeze(config) as unknown as Configuration;
}

/** The built-in defaults: what a job sees when it runs without a configuration file. */
export const defaultConfiguration: Configuration = makeConfiguration(configSchema.parse({}));
