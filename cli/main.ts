// The `brook` command line: parses argv against cli/commands.ts and hands the
// validated flags to the command. Usage mistakes print one line and exit 2.
import { readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigurationError } from '../runtime/config/errors.ts';
import { logger } from '../runtime/logging/logger.ts';
import { commands, findCommand, type CommandSpec } from './commands.ts';
import { UsageError, USAGE_EXIT_CODE } from './usage-error.ts';
import type { ClientFlags } from './client-commands.ts';

export interface ParsedCommand {
  command: CommandSpec;
  positionals: string[];
  flags: Record<string, unknown>;
  /** Everything after `--`: handed to the job (`brook run job.ts -- --input x`). */
  passThrough: string[];
}

export type CliOutcome = { kind: 'print'; text: string } | { kind: 'command'; parsed: ParsedCommand };

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function flagLine(name: string, spec: CommandSpec['flags'][string]): string {
  const left = `  --${name}${spec.valueName ? ` ${spec.valueName}` : ''}`;
  return `${left.padEnd(30)} ${spec.description}`;
}

export function mainHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    `brook ${version()}: stateful streaming jobs in TypeScript, Flink-style`,
    '',
    'usage: brook <command> [flags]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)} ${c.summary}`),
    '',
    "Run 'brook <command> --help' for a command's flags.",
  ].join('\n');
}

export function commandHelp(command: CommandSpec): string {
  const usage = ['brook', command.name, ...command.positionals, '[flags]'].join(' ');
  return [
    `usage: ${usage}`,
    '',
    command.summary,
    '',
    'flags:',
    ...Object.entries(command.flags).map(([name, spec]) => flagLine(name, spec)),
    flagLine('help', { type: 'boolean', description: 'show this help' }),
  ].join('\n');
}

function describeParseError(error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = /'([^']+)'/.exec(message)?.[1] ?? 'flag';
    return `unknown flag ${flag}`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flag = /'(--[^' ]+)/.exec(message)?.[1] ?? 'a flag';
    return `${flag} needs a value`;
  }
  return message.split('\n')[0]!;
}

/** Turns argv (without `node` and the script) into what to print or which command to run. */
export function parseCommandLine(argv: string[]): CliOutcome {
  const separator = argv.indexOf('--');
  const passThrough = separator >= 0 ? argv.slice(separator + 1) : [];
  const [first, ...rest] = separator >= 0 ? argv.slice(0, separator) : argv;
  if (first === undefined || first === '--help' || first === '-h') return { kind: 'print', text: mainHelp() };
  if (first === '--version' || first === '-V') return { kind: 'print', text: `brook ${version()}` };
  if (first === 'help') {
    const target = rest[0] === undefined ? undefined : findCommand(rest[0]);
    if (rest[0] !== undefined && !target)
      throw new UsageError(`brook: unknown command '${rest[0]}' (see 'brook --help')`);
    return { kind: 'print', text: target ? commandHelp(target) : mainHelp() };
  }
  if (first.startsWith('-')) throw new UsageError(`brook: unknown flag ${first} (see 'brook --help')`);
  const command = findCommand(first);
  if (!command) throw new UsageError(`brook: unknown command '${first}' (see 'brook --help')`);

  const options: ParseArgsConfig['options'] = { help: { type: 'boolean', short: 'h' } };
  for (const [name, spec] of Object.entries(command.flags))
    options[name] = { type: spec.type, multiple: spec.multiple ?? false };
  const hint = ` (see 'brook ${command.name} --help')`;
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
  } catch (error) {
    if (!String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) throw error;
    throw new UsageError(`brook ${command.name}: ${describeParseError(error)}${hint}`);
  }
  const { help, ...flags } = parsed.values;
  if (help) return { kind: 'print', text: commandHelp(command) };

  const { positionals } = parsed;
  if (positionals.length < command.positionals.length) {
    throw new UsageError(`brook ${command.name}: missing ${command.positionals[positionals.length]}${hint}`);
  }
  if (positionals.length > command.positionals.length) {
    throw new UsageError(
      `brook ${command.name}: unexpected argument '${positionals[command.positionals.length]}'${hint}`,
    );
  }
  const checked = command.schema.safeParse(flags);
  if (!checked.success) {
    throw new UsageError(`brook ${command.name}: ${checked.error.issues.map((i) => i.message).join('; ')}${hint}`);
  }
  return {
    kind: 'command',
    parsed: { command, positionals, flags: checked.data as Record<string, unknown>, passThrough },
  };
}

async function runCommand({ command, positionals, flags, passThrough }: ParsedCommand): Promise<number> {
  if (command.name === 'run') {
    const { runJob } = await import('./run.ts');
    return runJob(positionals[0]!, flags, passThrough);
  }
  if (['list', 'status', 'savepoint', 'stop', 'cancel'].includes(command.name)) {
    const { runClientCommand } = await import('./client-commands.ts');
    return runClientCommand(command.name, positionals, flags as unknown as ClientFlags);
  }
  if (command.name === 'operator') {
    const { runOperator } = await import('./operator-command.ts');
    return runOperator(flags);
  }
  if (command.name === 'jobmanager') {
    const { runJobManager } = await import('./cluster-commands.ts');
    return runJobManager(flags as { job: string }, passThrough);
  }
  if (command.name === 'taskmanager') {
    const { runTaskManager } = await import('./cluster-commands.ts');
    return runTaskManager(flags as { jobmanager: string });
  }
  // Commands land issue by issue; until then they say so rather than pretend.
  console.error(`brook ${command.name}: not implemented yet (issue #${command.pendingIssue})`);
  return 1;
}

export async function main(argv: string[]): Promise<number> {
  let prefix = 'brook';
  try {
    const outcome = parseCommandLine(argv);
    if (outcome.kind === 'print') {
      console.log(outcome.text);
      return 0;
    }
    prefix = `brook ${outcome.parsed.command.name}`;
    return await runCommand(outcome.parsed);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(error.message);
      return USAGE_EXIT_CODE;
    }
    // A configuration error is the user's input too (DESIGN.md: exit 2); its message lists every problem.
    if (error instanceof ConfigurationError) {
      console.error(`${prefix}: ${error.message}`);
      return USAGE_EXIT_CODE;
    }
    // Not the user's input: a failure of the process, logged with its cause chain and stack.
    logger('cli').fatal({ err: error, command: prefix }, `${prefix}: ${(error as Error).message}`);
    return 1;
  }
}
