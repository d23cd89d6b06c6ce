// `logging.pretty`: log lines for a person at a terminal instead of JSON.
// A small formatter over pino's JSON lines rather than pino-pretty: no worker
// thread or extra dependency, and it knows Brook's context fields, so a line
// reads `12:00:01.250 WARN  [kafka] wordcount › Source: orders (2): fetch failed`.
import { pino } from 'pino';
import type { SerializedError } from './error-serializer.ts';

const levelNames: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const levelValues: Record<string, number> = Object.fromEntries(
  Object.entries(levelNames).map(([value, name]) => [name.toLowerCase(), Number(value)]),
);
const colours: Record<number, string> = { 10: '90', 20: '36', 30: '32', 40: '33', 50: '31', 60: '35' };

/** Fields shown in the head of a line (or not at all), not repeated among the details. */
const headFields = new Set([
  'level',
  'time',
  'msg',
  'pid',
  'hostname',
  'module',
  'err',
  'jobName',
  'jobId',
  'task',
  'subtask',
  'operator',
  'operatorUid',
  'namespace',
  'name',
  // Identity and ids: in the JSON lines; at a terminal they crowd the message out.
  'process',
  'host',
  'resourceId',
  'taskId',
  'operatorUid',
]);

function clock(time: unknown): string {
  const date = typeof time === 'number' || typeof time === 'string' ? new Date(time) : new Date();
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** `wordcount › Source: orders (2) › counts`: where the line comes from, as far as it says. */
function where(record: Record<string, unknown>): string {
  const parts: string[] = [];
  if (typeof record.namespace === 'string') parts.push(`${record.namespace}/${String(record.name)}`);
  if (typeof record.jobName === 'string') parts.push(record.jobName);
  if (typeof record.task === 'string')
    parts.push(typeof record.subtask === 'number' ? `${record.task} (${record.subtask + 1})` : record.task);
  if (typeof record.operator === 'string' && record.operator !== record.task) parts.push(record.operator);
  return parts.join(' › ');
}

function detail(value: unknown): string {
  return typeof value === 'string' && !/[\s"=]/.test(value) && value !== '' ? value : JSON.stringify(value);
}

function describeError(error: SerializedError, indent: string): string[] {
  const stack = error.stack ?? `${error.type}: ${error.message}`;
  const lines = stack
    .split('\n')
    .map((line) => `${indent}${line.trimStart().startsWith('at ') ? '  ' : ''}${line.trim()}`);
  if (error.code !== undefined && !stack.includes(String(error.code))) lines[0] += ` [${error.code}]`;
  for (const [i, inner] of (error.errors ?? []).entries()) {
    lines.push(`${indent}  error ${i + 1} of ${error.errors!.length}:`, ...describeError(inner, `${indent}    `));
  }
  if (error.cause) lines.push(`${indent}caused by:`, ...describeError(error.cause, indent));
  return lines;
}

/**
 * One pino JSON record as a readable line (plus the error's stack and causes
 * on the lines below, indented).
 *
 * @example
 * formatPretty({ level: 30, time: 0, module: 'cli', jobName: 'wordcount', msg: 'job finished' })
 * // '00:00:00.000 INFO  [cli] wordcount: job finished'
 */
export function formatPretty(record: Record<string, unknown>, colour = false): string {
  const level = typeof record.level === 'number' ? record.level : (levelValues[String(record.level)] ?? 30);
  const name = (levelNames[level] ?? String(level)).padEnd(5);
  const levelText = colour ? `\u001b[${colours[level] ?? '0'}m${name}\u001b[0m` : name;
  const module = typeof record.module === 'string' ? ` [${record.module}]` : '';
  const origin = where(record);
  const details = Object.entries(record)
    .filter(([key, value]) => !headFields.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${detail(value)}`);
  const head = [
    `${clock(record.time)} ${levelText}${module} ${origin ? `${origin}: ` : ''}${typeof record.msg === 'string' ? record.msg : JSON.stringify(record.msg ?? '')}`,
    ...details,
  ].join('  ');
  const err = record.err as SerializedError | undefined;
  return err && typeof err === 'object' ? [head, ...describeError(err, '    ')].join('\n') : head;
}

/** Wraps `target` (default: stderr): each JSON line pino writes is written to it formatted. */
export function prettyDestination(
  target: { write(text: string): unknown } = pino.destination({ dest: 2, sync: true }),
  colour = false,
): { write(line: string): void } {
  return {
    write(line: string) {
      let text: string;
      try {
        text = formatPretty(JSON.parse(line) as Record<string, unknown>, colour);
      } catch {
        text = line.trimEnd();
      }
      target.write(`${text}\n`);
    },
  };
}
