// Which level a module logs at: `logging.modules` names modules by dotted
// paths (`operator.reconcile`); the most specific entry wins, else `logging.level`.

export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

export interface LevelSettings {
  level: LogLevel;
  modules: Readonly<Record<string, LogLevel>>;
}

/**
 * The level of `module`: its own entry, else its nearest parent's
 * (`operator` for `operator.reconcile`), else the default level.
 *
 * @example
 * levelFor('operator.reconcile', { level: 'info', modules: { operator: 'debug' } }) // 'debug'
 */
export function levelFor(module: string, settings: LevelSettings): LogLevel {
  for (let name = module; name !== ''; name = name.slice(0, Math.max(0, name.lastIndexOf('.')))) {
    const level = settings.modules[name];
    if (level !== undefined) return level;
  }
  return settings.level;
}

export function isLogLevel(value: string): value is LogLevel {
  return (logLevels as readonly string[]).includes(value);
}
