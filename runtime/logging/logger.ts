// The process's loggers (docs/logging.md): pino JSON lines on stderr (stdout
// carries job output), with the process's identity on every line, context
// (job, task, operator, subtask; namespace/name in the operator) bound by
// child loggers, a level per module, secrets masked, and a pretty mode.
import { hostname } from 'node:os';
import { pino, type DestinationStream, type Logger } from 'pino';
import { serializeError } from './error-serializer.ts';
import { isLogLevel, levelFor, type LogLevel } from './levels.ts';
import { unknownModules, type LogModule } from './modules.ts';
import { prettyDestination } from './pretty.ts';
import { lineScrubber, maskedCopy, maskUrlPasswords, secretValues } from './secrets.ts';

export type { Logger } from 'pino';

export interface LoggingOptions {
  level: LogLevel;
  /** Levels of modules (runtime/logging/modules.ts), over `level`. */
  modules: Readonly<Record<string, LogLevel>>;
  /** Human-readable lines instead of JSON. */
  pretty: boolean;
  /** Secret values scrubbed from every line (they accumulate: a secret once known stays scrubbed). */
  secrets: readonly string[];
  /** Fields on every line of the process: its role and identity (`process`, `resourceId`, `host`). */
  bindings: Readonly<Record<string, unknown>>;
  /** Where lines go (tests); default: stderr. */
  destination?: DestinationStream;
}

/** `BROOK_LOG_LEVEL`, the level before (or without) configuration. */
function environmentLevel(): LogLevel {
  const level = process.env.BROOK_LOG_LEVEL;
  return level !== undefined && isLogLevel(level) ? level : 'info';
}

let options: LoggingOptions = {
  level: environmentLevel(),
  modules: {},
  pretty: false,
  secrets: [],
  bindings: {},
};
let stderr: DestinationStream | undefined;
let root: Logger = build(options);

function build(settings: LoggingOptions): Logger {
  // Synchronous: a process that exits right after a line (process.exit on SIGTERM) still writes it.
  const target = settings.destination ?? (stderr ??= pino.destination({ dest: 2, sync: true }));
  const colour = settings.destination === undefined && process.stderr.isTTY === true;
  const scrub = lineScrubber(settings.secrets);
  return pino(
    {
      level: settings.level,
      base: { pid: process.pid, hostname: hostname(), ...settings.bindings },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        // The config's own rule (masking.ts) at any depth (`config.kafka.sasl.password`, `err.options.password`);
        // errors anywhere in a line with their causes (error-serializer.ts).
        bindings: (bindings) => maskedCopy(bindings) as Record<string, unknown>,
        log: (object) => {
          const masked: Record<string, unknown> = {};
          for (const [key, value] of Object.entries(object))
            masked[key] = value instanceof Error ? serializeError(value) : maskedCopy(value, key);
          return masked;
        },
      },
      // Errors are serialized above; pino's own err serializer would flatten their causes into one stack.
      serializers: { err: (value: unknown) => value },
      // Headers carry credentials under names the key rule does not know.
      redact: {
        paths: ['headers.authorization', 'headers.cookie', '*.headers.authorization', '*.headers.cookie'],
        censor: '***',
      },
      // The last layer: known secret values and URL passwords, wherever in the line they ended up.
      hooks: { streamWrite: (line) => scrub(maskUrlPasswords(line)) },
    },
    settings.pretty ? prettyDestination(target, colour) : target,
  );
}

/**
 * Changes the process's logging; loggers made afterwards follow it (those made
 * before keep their level). Unset fields keep their value; bindings are merged
 * and secrets added.
 *
 * @example
 * configureLogging({ level: 'debug', bindings: { process: 'taskmanager', resourceId: 'tm-1', host: '10.0.0.7' } });
 */
export function configureLogging(update: Partial<LoggingOptions>): void {
  options = {
    ...options,
    ...update,
    bindings: { ...options.bindings, ...update.bindings },
    secrets: [...new Set([...options.secrets, ...(update.secrets ?? [])])],
  };
  root = build(options);
}

/** The logging part of a Brook configuration, with the whole configuration for its secrets. */
export interface ConfiguredLogging {
  logging: { level?: LogLevel; modules: Readonly<Record<string, LogLevel>>; pretty?: boolean };
}

/**
 * Applies `logging.*` of a configuration (level: else $BROOK_LOG_LEVEL, else
 * info; pretty: else `prettyByDefault`) and scrubs its secrets from every line.
 */
export function configureLoggingFrom(config: ConfiguredLogging, defaults: { pretty?: boolean } = {}): void {
  const { level, modules, pretty } = config.logging;
  configureLogging({
    level: level ?? environmentLevel(),
    modules,
    pretty: pretty ?? defaults.pretty ?? false,
    secrets: [...secretValues(config), ...secretValues({ secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY })],
  });
  const unknown = unknownModules(Object.keys(modules));
  if (unknown.length > 0)
    logger('cli').warn({ modules: unknown }, 'logging.modules names modules Brook does not have (see docs/logging.md)');
}

/** The process's root logger: process bindings only. Derive contexts from it with `.child({...})`. */
export function rootLogger(): Logger {
  return root;
}

/** Module loggers → the context they were made from, so a module logger given as context is not nested. */
const contexts = new WeakMap<Logger, Logger>();

/**
 * A logger for `module` at its configured level, with the bindings of
 * `context` (a child of the root carrying job, task or resource fields;
 * default: the root). Pass contexts around, make module loggers at the leaves.
 *
 * @example
 * const log = logger('kafka', context.log);
 * log.warn({ err: error, topic }, 'fetch failed; retrying');
 */
export function logger(module: LogModule, context: Logger = root): Logger {
  const base = contexts.get(context) ?? context;
  // A silent context (a test's, an embedder's) stays silent.
  const level = base.level === 'silent' ? 'silent' : levelFor(module, options);
  const log = base.child({ module }, { level });
  contexts.set(log, base);
  return log;
}
