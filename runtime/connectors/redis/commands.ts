// The declarative command mapping: what a record may turn into, how each
// command is sent, and whether replaying it after a restore is safe. The
// classification is what makes the sink exactly-once "in effect" (docs/connectors.md).

export type RedisValue = string | number | Buffer;

/** One Redis write. Keys are given without the sink's `keyPrefix`. */
export type RedisCommand =
  | { command: 'SET'; key: string; value: RedisValue; /** seconds */ ex?: number; /** milliseconds */ px?: number }
  | { command: 'HSET'; key: string; fields: Record<string, RedisValue> }
  | { command: 'ZADD'; key: string; members: readonly { member: string; score: number }[] }
  | { command: 'ZREMRANGEBYRANK'; key: string; start: number; stop: number }
  | { command: 'EXPIRE'; key: string; seconds: number }
  | { command: 'PEXPIRE'; key: string; milliseconds: number }
  | { command: 'DEL'; key: string }
  | {
      command: 'XADD';
      key: string;
      /** An explicit entry id (`<ms>-<seq>`): makes the append replay-safe. Absent: Redis picks one (`*`). */
      id?: string;
      fields: Record<string, RedisValue>;
      /** Approximate trimming (`MAXLEN ~ n`). */
      maxLen?: number;
    }
  | { command: 'INCRBY'; key: string; by: number }
  | { command: 'HINCRBY'; key: string; field: string; by: number }
  | { command: 'ZINCRBY'; key: string; member: string; by: number }
  | { command: 'LPUSH' | 'RPUSH'; key: string; values: readonly RedisValue[] };

export type CommandName = RedisCommand['command'];

/**
 * Replay safety after a restore, when records since the last checkpoint are written again:
 * - `safe`: the command overwrites (last write per key, field or member wins), so
 *   replaying a key's tail of commands in the same order leaves the same contents.
 * - `conditional`: ZREMRANGEBYRANK depends on what the set holds; safe after ZADD when
 *   a member's score never decreases, or when the record rewrites the whole set (DEL first).
 * - `unsafe`: the command accumulates (INCRBY, LPUSH, XADD with an automatic id): a replay applies twice.
 */
export type ReplaySafety = 'safe' | 'conditional' | 'unsafe';

export function replaySafety(command: RedisCommand): ReplaySafety {
  switch (command.command) {
    case 'SET':
    case 'HSET':
    case 'ZADD':
    case 'EXPIRE':
    case 'PEXPIRE':
    case 'DEL':
      return 'safe';
    case 'ZREMRANGEBYRANK':
      return 'conditional';
    case 'XADD':
      return command.id === undefined ? 'unsafe' : 'safe';
    case 'INCRBY':
    case 'HINCRBY':
    case 'ZINCRBY':
    case 'LPUSH':
    case 'RPUSH':
      return 'unsafe';
  }
}

/** Why an unsafe command is unsafe, for the refusal message. */
export function whyUnsafe(command: RedisCommand): string {
  return command.command === 'XADD'
    ? 'XADD without an explicit id appends a new entry every time; give `id`'
    : `${command.command} accumulates: each replay adds again`;
}

/** Removes every member but the `n` highest-scored: ZREMRANGEBYRANK key 0 -(n+1). */
export function keepTop(key: string, n: number): RedisCommand {
  return { command: 'ZREMRANGEBYRANK', key, start: 0, stop: -(n + 1) };
}

const STREAM_ID = /^\d+-\d+$/;

/** A reason the command is malformed, or undefined. Checked per command: records come from user code. */
export function invalidCommand(command: RedisCommand): string | undefined {
  if (typeof command !== 'object' || command === null) return `${String(command)} instead of a command object`;
  if (typeof command.key !== 'string' || command.key.length === 0)
    return `${command.command} without a key (key must be a non-empty string)`;
  const int = (n: unknown) => typeof n === 'number' && Number.isInteger(n);
  switch (command.command) {
    case 'SET':
      if (command.ex !== undefined && command.px !== undefined) return `SET ${command.key} with both ex and px`;
      if (command.ex !== undefined && !(int(command.ex) && command.ex > 0))
        return `SET ${command.key} with ex ${command.ex}`;
      if (command.px !== undefined && !(int(command.px) && command.px > 0))
        return `SET ${command.key} with px ${command.px}`;
      return undefined;
    case 'HSET':
    case 'XADD':
      if (Object.keys(command.fields ?? {}).length === 0) return `${command.command} ${command.key} without fields`;
      if (command.command === 'XADD' && command.id !== undefined && !STREAM_ID.test(command.id))
        return `XADD ${command.key} with id '${command.id}' (explicit ids are <ms>-<seq>)`;
      return undefined;
    case 'ZADD':
      if (!Array.isArray(command.members) || command.members.length === 0) return `ZADD ${command.key} without members`;
      for (const m of command.members as readonly { member: unknown; score: unknown }[])
        if (typeof m.member !== 'string' || typeof m.score !== 'number' || Number.isNaN(m.score))
          return `ZADD ${command.key} with member ${JSON.stringify(m)} (needs member: string, score: number)`;
      return undefined;
    case 'ZREMRANGEBYRANK':
      return int(command.start) && int(command.stop)
        ? undefined
        : `ZREMRANGEBYRANK ${command.key} with non-integer ranks`;
    case 'EXPIRE':
      return int(command.seconds) && command.seconds > 0
        ? undefined
        : `EXPIRE ${command.key} with ${command.seconds} s`;
    case 'PEXPIRE':
      return int(command.milliseconds) && command.milliseconds > 0
        ? undefined
        : `PEXPIRE ${command.key} with ${command.milliseconds} ms`;
    case 'DEL':
      return undefined;
    case 'INCRBY':
    case 'HINCRBY':
    case 'ZINCRBY':
      return typeof command.by === 'number' ? undefined : `${command.command} ${command.key} without a numeric 'by'`;
    case 'LPUSH':
    case 'RPUSH':
      return Array.isArray(command.values) && command.values.length > 0
        ? undefined
        : `${command.command} ${command.key} without values`;
    default:
      return `unknown command '${String((command as { command: unknown }).command)}' (supported: SET, HSET, ZADD, ZREMRANGEBYRANK, EXPIRE, PEXPIRE, DEL, XADD, INCRBY, HINCRBY, ZINCRBY, LPUSH, RPUSH)`;
  }
}

/** The command as ioredis arguments: [name, ...args], with the key already prefixed. */
export function toArguments(command: RedisCommand, key: string): RedisValue[] {
  switch (command.command) {
    case 'SET': {
      const expiry = command.ex !== undefined ? ['EX', command.ex] : command.px !== undefined ? ['PX', command.px] : [];
      return ['SET', key, command.value, ...expiry];
    }
    case 'HSET':
      return ['HSET', key, ...Object.entries(command.fields).flat()];
    case 'ZADD':
      return ['ZADD', key, ...command.members.flatMap((m) => [m.score, m.member])];
    case 'ZREMRANGEBYRANK':
      return ['ZREMRANGEBYRANK', key, command.start, command.stop];
    case 'EXPIRE':
      return ['EXPIRE', key, command.seconds];
    case 'PEXPIRE':
      return ['PEXPIRE', key, command.milliseconds];
    case 'DEL':
      return ['DEL', key];
    case 'XADD': {
      const trim = command.maxLen !== undefined ? ['MAXLEN', '~', command.maxLen] : [];
      return ['XADD', key, ...trim, command.id ?? '*', ...Object.entries(command.fields).flat()];
    }
    case 'INCRBY':
      return ['INCRBY', key, command.by];
    case 'HINCRBY':
      return ['HINCRBY', key, command.field, command.by];
    case 'ZINCRBY':
      return ['ZINCRBY', key, command.by, command.member];
    case 'LPUSH':
    case 'RPUSH':
      return [command.command, key, ...command.values];
  }
}

/** Compares stream ids `<ms>-<seq>`: negative, zero or positive. */
export function compareStreamIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  return am !== bm ? (am < bm ? -1 : 1) : as === bs ? 0 : as < bs ? -1 : 1;
}
