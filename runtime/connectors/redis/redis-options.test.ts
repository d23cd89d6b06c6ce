// The Redis sink's options and command table, without a server: bad options
// are refused naming each field, each command's replay safety and wire form,
// and when a request waiting for Redis's answer has waited too long.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keepTop, replaySafety, toArguments, invalidCommand, type RedisCommand } from './commands.ts';
import { answerWait } from './connection.ts';
import { RedisSinkConfigError } from './errors.ts';
import { describeTarget, parseRedisSinkOptions } from './options.ts';
import { redisSink } from './redis-sink.ts';

const commands = () => [];

test('bad options are refused together, each with the path of its field', () => {
  assert.throws(
    () =>
      redisSink({
        name: 'recs',
        url: 'http://127.0.0.1:6379',
        batchSize: 0,
        retryBackoffMs: { initial: 100, max: 10 },
        lingerMs: -1,
        commands,
      }),
    (error: unknown) => {
      assert.ok(error instanceof RedisSinkConfigError);
      assert.equal(error.code, 'BROOK_REDIS_SINK_CONFIG');
      assert.match(error.message, /^redis sink 'recs': invalid options: /);
      assert.match(error.message, /url: must be a redis:\/\/ or rediss:\/\/ URL/);
      assert.match(error.message, /batchSize: Too small/);
      assert.match(error.message, /lingerMs: Too small/);
      assert.match(error.message, /retryBackoffMs\.max: max must be at least initial/);
      return true;
    },
  );
});

test('an unknown option, a missing address and an address given twice are named', () => {
  assert.throws(
    () => parseRedisSinkOptions({ url: 'redis://h:1', batchsize: 10 }),
    /\(options\): Unrecognized key: "batchsize"/,
  );
  assert.throws(() => parseRedisSinkOptions({ keyPrefix: 'a:' }), /url: give either url or host/);
  assert.throws(() => parseRedisSinkOptions({ url: 'redis://h:1', port: 6380 }), /port: give either url or host\/port/);
  assert.throws(() => parseRedisSinkOptions({ host: 'h', port: 70000 }), /port: Too big/);
  assert.throws(() => parseRedisSinkOptions({ host: 'h', tls: { verify: true } }), /tls/);
});

test('commandTimeoutMs must be a positive whole number of milliseconds, at most an hour', () => {
  assert.equal(parseRedisSinkOptions({ host: 'h', commandTimeoutMs: 250 }).commandTimeoutMs, 250);
  for (const bad of [0, -1, 1.5, 3_600_001, '1000'])
    assert.throws(() => parseRedisSinkOptions({ host: 'h', commandTimeoutMs: bad }), /commandTimeoutMs: /, String(bad));
});

test('a request times out only after commandTimeoutMs on a connection ready all that time', () => {
  const timeout = 1000;
  // [sent at, ready since (undefined: reconnecting), now, expected]
  const cases: [number, number | undefined, number, ReturnType<typeof answerWait>][] = [
    [5000, 0, 5000, { expired: false, checkInMs: 1000 }], // just sent
    [5000, 0, 5999, { expired: false, checkInMs: 1 }],
    [5000, 0, 6000, { expired: true }], // ready throughout, no answer: a hung Redis
    [5000, 0, 9000, { expired: true }],
    [5000, undefined, 9000, { expired: false, checkInMs: 1000 }], // down: retryTimeoutMs bounds the wait
    [5000, 8500, 9000, { expired: false, checkInMs: 500 }], // reconnected lately: counted from then
    [5000, 8500, 9500, { expired: true }],
  ];
  for (const [sentAt, readySince, now, expected] of cases)
    assert.deepEqual(answerWait(sentAt, readySince, now, timeout), expected, `${sentAt} ${readySince} ${now}`);
});

test('defaults fill in and the target is described without the password', () => {
  const parsed = parseRedisSinkOptions({ url: 'redis://user:pw@cache:6380/2' });
  assert.equal(parsed.batchSize, 500);
  assert.equal(parsed.lingerMs, 5);
  assert.equal(parsed.allowNonIdempotentCommands, false);
  assert.equal(parsed.commandTimeoutMs, 10_000);
  assert.equal(describeTarget(parsed), 'redis://user:***@cache:6380/2');
  assert.equal(describeTarget(parseRedisSinkOptions({ host: 'cache', tls: true, db: 3 })), 'rediss://cache:6379/3');
});

test('replay safety per command: overwrites are safe, accumulations are not, trimming is conditional', () => {
  const cases: [RedisCommand, string][] = [
    [{ command: 'SET', key: 'k', value: 'v', ex: 10 }, 'safe'],
    [{ command: 'HSET', key: 'k', fields: { a: 1 } }, 'safe'],
    [{ command: 'ZADD', key: 'k', members: [{ member: 'm', score: 1 }] }, 'safe'],
    [{ command: 'EXPIRE', key: 'k', seconds: 1 }, 'safe'],
    [{ command: 'PEXPIRE', key: 'k', milliseconds: 1 }, 'safe'],
    [{ command: 'DEL', key: 'k' }, 'safe'],
    [{ command: 'XADD', key: 'k', id: '1-0', fields: { a: 1 } }, 'safe'],
    [keepTop('k', 10), 'conditional'],
    [{ command: 'XADD', key: 'k', fields: { a: 1 } }, 'unsafe'],
    [{ command: 'INCRBY', key: 'k', by: 1 }, 'unsafe'],
    [{ command: 'HINCRBY', key: 'k', field: 'f', by: 1 }, 'unsafe'],
    [{ command: 'ZINCRBY', key: 'k', member: 'm', by: 1 }, 'unsafe'],
    [{ command: 'LPUSH', key: 'k', values: ['a'] }, 'unsafe'],
    [{ command: 'RPUSH', key: 'k', values: ['a'] }, 'unsafe'],
  ];
  for (const [command, safety] of cases) assert.equal(replaySafety(command), safety, command.command);
});

test('commands go on the wire in Redis argument order', () => {
  const cases: [RedisCommand, unknown[]][] = [
    [{ command: 'SET', key: 'k', value: 'v', px: 50 }, ['SET', 'p:k', 'v', 'PX', 50]],
    [
      {
        command: 'ZADD',
        key: 'k',
        members: [
          { member: 'a', score: 2 },
          { member: 'b', score: 1.5 },
        ],
      },
      ['ZADD', 'p:k', 2, 'a', 1.5, 'b'],
    ],
    [keepTop('k', 10), ['ZREMRANGEBYRANK', 'p:k', 0, -11]],
    [
      { command: 'XADD', key: 'k', id: '5-1', maxLen: 100, fields: { a: 1 } },
      ['XADD', 'p:k', 'MAXLEN', '~', 100, '5-1', 'a', 1],
    ],
    [{ command: 'ZINCRBY', key: 'k', member: 'm', by: 2 }, ['ZINCRBY', 'p:k', 2, 'm']],
  ];
  for (const [command, args] of cases) assert.deepEqual(toArguments(command, 'p:k'), args);
});

test('malformed commands from the mapping are described', () => {
  assert.match(invalidCommand({ command: 'SET', key: '', value: 1 })!, /without a key/);
  assert.match(invalidCommand({ command: 'SET', key: 'k', value: 1, ex: 1, px: 1 })!, /both ex and px/);
  assert.match(
    invalidCommand({ command: 'XADD', key: 'k', id: 'abc', fields: { a: 1 } })!,
    /explicit ids are <ms>-<seq>/,
  );
  assert.match(invalidCommand({ command: 'GETDEL', key: 'k' } as unknown as RedisCommand)!, /unknown command 'GETDEL'/);
  assert.equal(invalidCommand({ command: 'ZADD', key: 'k', members: [{ member: 'm', score: 1 }] }), undefined);
});
