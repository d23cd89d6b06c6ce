// Proof that testenv's Redis is a real server: keys written with ioredis are
// read back, expire, and sorted sets order by score.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { endpoints, ensureServices } from './index.ts';

let client: Redis;
const prefix = `brook-test:${randomUUID()}`;

before(async () => {
  await ensureServices('redis');
  client = new Redis(endpoints.redis.url);
});

after(async () => {
  const keys = await client.keys(`${prefix}:*`);
  if (keys.length > 0) await client.del(...keys);
  client.disconnect();
});

test('a key set in Redis is read back and expires after its TTL', async () => {
  const key = `${prefix}:greeting`;
  assert.equal(await client.set(key, 'hello', 'PX', 300), 'OK');
  assert.equal(await client.get(key), 'hello');
  const ttl = await client.pttl(key);
  assert.ok(ttl > 0 && ttl <= 300, `pttl ${ttl}`);
  await new Promise((resolve) => setTimeout(resolve, 400));
  assert.equal(await client.get(key), null);
});

test('a sorted set keeps the top N by score after ZREMRANGEBYRANK', async () => {
  const key = `${prefix}:recommendations`;
  const scores = [5, 1, 9, 3, 7];
  await client.zadd(key, ...scores.flatMap((s) => [s, `item-${s}`]));
  await client.zremrangebyrank(key, 0, -4); // keep the 3 highest
  assert.deepEqual(await client.zrevrange(key, 0, -1), ['item-9', 'item-7', 'item-5']);
});
