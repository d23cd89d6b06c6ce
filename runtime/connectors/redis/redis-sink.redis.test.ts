// The Redis sink against testenv's real Redis: a keyed top-N job leaves exactly
// what an independent computation over its input says, also after a failure
// and a restore (replay is idempotent), writes in pipelined batches, survives a
// short connection loss, and fails clearly when Redis is unreachable or hangs.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { endpoints, ensureServices } from '../../../scripts/testenv/index.ts';
import { SeededRandom, seedFor } from '../random.ts';
import { JobExecutionError, StreamEnvironment } from '../../index.ts';
import { keepTop } from './commands.ts';
import { RedisSinkTimeoutError } from './errors.ts';
import { countingProxy } from './counting-proxy.test-helper.ts';
import { redisSink, type RedisSinkOptions } from './redis-sink.ts';

interface View {
  user: string;
  item: string;
  count: number;
}

const TOP = 3;
const root = mkdtempSync(join(tmpdir(), 'brook-redis-sink-'));
let redis: Redis;
const prefixes: string[] = [];

before(async () => {
  await ensureServices('redis');
  redis = new Redis(endpoints.redis.url);
});

after(async () => {
  for (const prefix of prefixes) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  redis.disconnect();
  rmSync(root, { recursive: true, force: true });
});

function newPrefix(): string {
  const prefix = `brook-test:${randomUUID()}:`;
  prefixes.push(prefix);
  return prefix;
}

const generate = (_i: number, r: SeededRandom): View => ({
  user: `u${r.int(0, 12)}`,
  item: `i${r.int(0, 25)}`,
  count: 1,
});

/** The expected top N per user, computed from the generator's input without the runtime. */
function expectedTopN(seed: number, count: number): Map<string, [string, number][]> {
  const counts = new Map<string, Map<string, number>>();
  const random = new SeededRandom();
  for (let i = 0; i < count; i++) {
    const { user, item } = generate(i, random.reset(seedFor(seed, i)));
    const items = counts.get(user) ?? counts.set(user, new Map()).get(user)!;
    items.set(item, (items.get(item) ?? 0) + 1);
  }
  // Redis ranks by score, then by member: the kept top N are the highest (score, member) pairs.
  const byRank = (a: [string, number], b: [string, number]) => b[1] - a[1] || (a[0] < b[0] ? 1 : a[0] > b[0] ? -1 : 0);
  return new Map([...counts].map(([user, items]) => [user, [...items].sort(byRank).slice(0, TOP)]));
}

async function actualTopN(prefix: string): Promise<Map<string, [string, number][]>> {
  const result = new Map<string, [string, number][]>();
  for (const key of await redis.keys(`${prefix}top:*`)) {
    const flat = await redis.zrevrange(key, 0, -1, 'WITHSCORES');
    const pairs: [string, number][] = [];
    for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i]!, Number(flat[i + 1])]);
    result.set(key.slice(`${prefix}top:`.length), pairs);
    const ttl = await redis.ttl(key);
    assert.ok(ttl > 0 && ttl <= 3600, `${key} expires (ttl ${ttl})`);
  }
  return result;
}

const topNCommands: RedisSinkOptions<View>['commands'] = (v) => [
  { command: 'ZADD', key: `top:${v.user}`, members: [{ member: v.item, score: v.count }] },
  keepTop(`top:${v.user}`, TOP),
  { command: 'EXPIRE', key: `top:${v.user}`, seconds: 3600 },
];

/** views → running count per (user, item) → ZADD + keep top N + EXPIRE per user. */
function topNJob(
  env: StreamEnvironment,
  options: { seed: number; count: number; prefix: string; url?: string; failAt?: number; rate?: number },
): { failed: () => boolean } {
  let failed = false;
  env
    .fromGenerator({ count: options.count, seed: options.seed, generate, recordsPerSecond: options.rate })
    .uid('views')
    .keyBy((v) => `${v.user}|${v.item}`)
    .reduce((a, b) => ({ ...a, count: a.count + b.count }))
    .uid('counts')
    .map((v) => {
      if (!failed && options.failAt !== undefined && v.count === options.failAt) {
        failed = true;
        throw new Error('injected failure');
      }
      return v;
    })
    .sinkTo(
      redisSink<View>({
        name: 'top-items',
        url: options.url ?? endpoints.redis.url,
        keyPrefix: options.prefix,
        batchSize: 50,
        commands: topNCommands,
      }),
    )
    .uid('redis');
  return { failed: () => failed };
}

test('a keyed top-N job leaves in Redis exactly the top N per user of an independent count', async () => {
  const prefix = newPrefix();
  const env = new StreamEnvironment().setParallelism(2);
  topNJob(env, { seed: 11, count: 3000, prefix });
  await env.execute('top-n');
  assert.deepEqual(await actualTopN(prefix), expectedTopN(11, 3000));
});

test('after a failure mid-stream and a restore from a checkpoint, the replayed writes leave the same contents', async () => {
  const prefix = newPrefix();
  const env = new StreamEnvironment()
    .setParallelism(2)
    .enableCheckpointing(30)
    .setCheckpointStorage(`file://${root}/restore`)
    .setRestartStrategy({ kind: 'fixed-delay', attempts: 2, delayMs: 10 });
  // Some (user, item) reaches 12 views about two thirds into the input.
  const job = topNJob(env, { seed: 12, count: 5000, prefix, failAt: 12, rate: 20_000 });
  const result = await env.execute('top-n-restore');
  assert.ok(job.failed());
  assert.equal(result.restarts, 1);
  assert.ok(result.checkpoints.length > 0);
  assert.deepEqual(await actualTopN(prefix), expectedTopN(12, 5000));
});

test('writes go to Redis in pipelined batches: far fewer socket reads than records', async () => {
  const proxy = await countingProxy({ host: '127.0.0.1', port: 6379 });
  try {
    const prefix = newPrefix();
    const env = new StreamEnvironment().setParallelism(1);
    topNJob(env, { seed: 13, count: 2000, prefix, url: `redis://127.0.0.1:${proxy.port}` });
    await env.execute('top-n-batches');
    // Counted by the proxy's own RESP parser: every record's three commands reached Redis...
    for (const name of ['ZADD', 'ZREMRANGEBYRANK', 'EXPIRE']) assert.equal(proxy.commands.get(name), 2000, name);
    // ...in batches of up to 50 records (150 commands), not one read per command.
    const reads = proxy.readsWith(['ZADD']);
    assert.ok(reads <= 2000 / 10, `${reads} reads carried the 6000 commands`);
    assert.deepEqual(await actualTopN(prefix), expectedTopN(13, 2000));
  } finally {
    await proxy.close();
  }
});

test('a connection lost mid-run is re-established with backoff and no write is lost', async () => {
  const proxy = await countingProxy({ host: '127.0.0.1', port: 6379 });
  try {
    const prefix = newPrefix();
    const env = new StreamEnvironment().setParallelism(1);
    let cuts = 0;
    env
      .fromGenerator({ count: 3000, seed: 14, generate, recordsPerSecond: 10_000 })
      .keyBy((v) => `${v.user}|${v.item}`)
      .reduce((a, b) => ({ ...a, count: a.count + b.count }))
      .map((v) => v)
      .sinkTo(
        redisSink<View>({
          name: 'top-items',
          url: `redis://127.0.0.1:${proxy.port}`,
          keyPrefix: prefix,
          batchSize: 20,
          retryTimeoutMs: 10_000,
          retryBackoffMs: { initial: 10, max: 100 },
          commands: (v, ctx) => {
            // Redis "goes away" twice for a moment while records keep coming.
            if ((v.count === 5 && cuts === 0) || (v.count === 9 && cuts === 1)) {
              cuts++;
              proxy.cut();
              setTimeout(() => proxy.restore(), 150);
            }
            return topNCommands(v, ctx);
          },
        }),
      );
    await env.execute('top-n-reconnect');
    assert.equal(cuts, 2);
    assert.deepEqual(await actualTopN(prefix), expectedTopN(14, 3000));
  } finally {
    await proxy.close();
  }
});

test('a Redis lost for longer than retryTimeoutMs fails the job naming the sink, the command and the key', async () => {
  const proxy = await countingProxy({ host: '127.0.0.1', port: 6379 });
  try {
    const prefix = newPrefix();
    const env = new StreamEnvironment();
    env.fromGenerator({ count: 1000, seed: 15, generate, recordsPerSecond: 5000 }).sinkTo(
      redisSink<View>({
        name: 'lost',
        url: `redis://127.0.0.1:${proxy.port}`,
        keyPrefix: prefix,
        retryTimeoutMs: 300,
        retryBackoffMs: { initial: 10, max: 50 },
        commands: (v) => {
          proxy.cut(); // and never restored
          return [{ command: 'SET', key: v.user, value: v.item }];
        },
      }),
    );
    await assert.rejects(env.execute('lost'), (error: unknown) => {
      assert.ok(error instanceof JobExecutionError);
      assert.match(
        error.message,
        new RegExp(
          `redis sink 'lost': SET ${prefix}u\\d+ failed: the connection to redis://127.0.0.1:${proxy.port} was lost and not re-established within 300 ms`,
        ),
      );
      return true;
    });
  } finally {
    await proxy.close();
  }
});

test(
  'a Redis that holds the connection and stops answering fails the task after commandTimeoutMs; the restart writes everything',
  { timeout: 60_000 },
  async () => {
    const proxy = await countingProxy({ host: '127.0.0.1', port: 6379 });
    try {
      const prefix = newPrefix();
      const failures: unknown[] = [];
      const env = new StreamEnvironment()
        .setParallelism(1)
        .enableCheckpointing(30)
        .setCheckpointStorage(`file://${root}/hung`)
        .setRestartStrategy({ kind: 'fixed-delay', attempts: 2, delayMs: 10 });
      env
        .fromGenerator({ count: 3000, seed: 16, generate, recordsPerSecond: 10_000 })
        .uid('views')
        .keyBy((v) => `${v.user}|${v.item}`)
        .reduce((a, b) => ({ ...a, count: a.count + b.count }))
        .uid('counts')
        .sinkTo(
          redisSink<View>({
            name: 'top-items',
            url: `redis://127.0.0.1:${proxy.port}`,
            keyPrefix: prefix,
            batchSize: 20,
            commandTimeoutMs: 300,
            commands: (v, ctx) => {
              // Redis hangs once, midway: the sink's connection stays open and is never answered again.
              if (v.count === 6 && proxy.stalled === 0) proxy.stall();
              return topNCommands(v, ctx);
            },
          }),
        )
        .uid('redis');
      const result = await env.execute('top-n-hung', { onRestart: (failure) => failures.push(failure) });
      assert.equal(proxy.stalled, 1);
      // At least the stall's restart; on a loaded machine a 300 ms timeout may also catch a slow answer later.
      assert.ok(result.restarts >= 1, `restarts: ${result.restarts}`);
      const [failure] = failures;
      assert.ok(failure instanceof Error);
      assert.match(
        failure.message,
        new RegExp(
          `redis sink 'top-items': (ZADD|ZREMRANGEBYRANK|EXPIRE) ${prefix}top:u\\d+ failed: ` +
            `no answer from redis://127.0.0.1:${proxy.port} within 300 ms`,
        ),
      );
      let cause: unknown = failure;
      while (cause instanceof Error && !(cause instanceof RedisSinkTimeoutError)) cause = cause.cause;
      assert.ok(cause instanceof RedisSinkTimeoutError, 'a RedisSinkTimeoutError is in the cause chain');
      assert.equal(cause.code, 'BROOK_REDIS_SINK_TIMEOUT');
      // The replay after the restore went over a new connection and left the independent count's contents.
      assert.deepEqual(await actualTopN(prefix), expectedTopN(16, 3000));
    } finally {
      await proxy.close();
    }
  },
);

test(
  'a Redis that is down at start fails the job with a clear error once retryTimeoutMs has passed',
  { timeout: 20_000 },
  async () => {
    // A port nothing listens on: taken, then released.
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const env = new StreamEnvironment();
    env.fromCollection(['a']).sinkTo(
      redisSink<string>({
        name: 'down',
        url: `redis://:secret@127.0.0.1:${port}`,
        retryTimeoutMs: 400,
        commands: (s) => [{ command: 'SET', key: s, value: s }],
      }),
    );
    await assert.rejects(env.execute('down'), (error: unknown) => {
      assert.ok(error instanceof JobExecutionError);
      assert.match(
        error.message,
        new RegExp(
          `redis sink 'down': cannot connect within 400 ms: .*ECONNREFUSED.* \\(redis://:\\*\\*\\*@127.0.0.1:${port}\\)`,
        ),
      );
      assert.doesNotMatch(error.message, /secret/);
      return true;
    });
  },
);

test('a non-idempotent command is refused with the reason unless the job opts in', async () => {
  const prefix = newPrefix();
  const refused = new StreamEnvironment();
  refused.fromCollection(['a', 'b']).sinkTo(
    redisSink<string>({
      url: endpoints.redis.url,
      keyPrefix: prefix,
      commands: (s) => [{ command: 'INCRBY', key: s, by: 1 }],
    }),
  );
  await assert.rejects(
    refused.execute('incr'),
    /redis sink 'redis': INCRBY brook-test:.*:a is not safe to replay after a restore \(INCRBY accumulates.*allowNonIdempotentCommands: true/,
  );

  const allowed = new StreamEnvironment();
  allowed.fromCollection(['a', 'b', 'a']).sinkTo(
    redisSink<string>({
      url: endpoints.redis.url,
      keyPrefix: prefix,
      allowNonIdempotentCommands: true,
      commands: (s) => [{ command: 'INCRBY', key: s, by: 1 }],
    }),
  );
  await allowed.execute('incr-allowed');
  assert.equal(await redis.get(`${prefix}a`), '2');
});

test('XADD with explicit ids written twice (a replay) leaves each entry once; SET with EX and HSET overwrite', async () => {
  const prefix = newPrefix();
  const events = Array.from({ length: 120 }, (_, i) => ({ id: `${1000 + i}-0`, n: i }));
  for (let run = 0; run < 2; run++) {
    const env = new StreamEnvironment();
    env.fromCollection(events).sinkTo(
      redisSink<{ id: string; n: number }>({
        url: endpoints.redis.url,
        keyPrefix: prefix,
        batchSize: 7,
        transactional: run === 1,
        commands: (e) => [
          { command: 'XADD', key: 'events', id: e.id, fields: { n: e.n } },
          { command: 'SET', key: 'last', value: e.n, ex: 60 },
          { command: 'HSET', key: 'by-id', fields: { [e.id]: e.n } },
        ],
      }),
    );
    await env.execute(`xadd-${run}`);
  }
  const entries = await redis.xrange(`${prefix}events`, '-', '+');
  assert.deepEqual(
    entries.map(([id, fields]) => [id, fields]),
    events.map((e) => [e.id, ['n', String(e.n)]]),
  );
  assert.equal(await redis.get(`${prefix}last`), '119');
  assert.ok((await redis.ttl(`${prefix}last`)) > 0);
  assert.equal(await redis.hlen(`${prefix}by-id`), 120);
});

test('an XADD id below the stream top that was never written fails the job instead of being dropped', async () => {
  const prefix = newPrefix();
  await redis.xadd(`${prefix}events`, '5000-0', 'n', 'first');
  await redis.xadd(`${prefix}events`, '7000-0', 'n', 'top');
  const env = new StreamEnvironment();
  env.fromCollection(['6000-0']).sinkTo(
    redisSink<string>({
      name: 'stream',
      url: endpoints.redis.url,
      keyPrefix: prefix,
      commands: (id) => [{ command: 'XADD', key: 'events', id, fields: { n: 'late' } }],
    }),
  );
  await assert.rejects(
    env.execute('xadd-out-of-order'),
    /redis sink 'stream': XADD brook-test:.*:events failed: .*equal or smaller/,
  );
});
