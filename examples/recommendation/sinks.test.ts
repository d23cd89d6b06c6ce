// The Redis mapping (replay-safe: the whole set is replaced), the dead-letter
// record, and where the Redis connection comes from.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultConfiguration } from '../../runtime/config/configuration.ts';
import { loadConfiguration } from '../../runtime/config/loader.ts';
import { replaySafety } from '../../runtime/index.ts';
import { deadLetterRecord, recommendationCommands, redisConnection } from './sinks.ts';

const recommendation = {
  userId: 'u7',
  windowStart: 0,
  windowEnd: 3_600_000,
  items: [
    { productId: 'p1', score: 0.9 },
    { productId: 'p2', score: 0.5 },
  ],
};

test('a recommendation replaces the user sorted set: DEL, ZADD every item, keep the top N, EXPIRE', () => {
  assert.deepEqual(recommendationCommands(recommendation, 10, 3600), [
    { command: 'DEL', key: 'u7' },
    {
      command: 'ZADD',
      key: 'u7',
      members: [
        { member: 'p1', score: 0.9 },
        { member: 'p2', score: 0.5 },
      ],
    },
    { command: 'ZREMRANGEBYRANK', key: 'u7', start: 0, stop: -11 },
    { command: 'EXPIRE', key: 'u7', seconds: 3600 },
  ]);
  // Safe, or conditional (ZREMRANGEBYRANK) behind a DEL of the whole set, as docs/connectors.md requires.
  assert.deepEqual(recommendationCommands(recommendation, 10, 3600).map(replaySafety), [
    'safe',
    'safe',
    'conditional',
    'safe',
  ]);
});

test('a recommendation without items removes the set', () => {
  assert.deepEqual(recommendationCommands({ ...recommendation, items: [] }, 10, 3600), [{ command: 'DEL', key: 'u7' }]);
});

test('a dead letter keeps where it came from, why, and its bytes as text', () => {
  const record = deadLetterRecord({
    reason: 'invalid JSON: Unexpected token',
    topic: 'user-behaviour',
    partition: 2,
    offset: 41,
    timestamp: 5,
    key: Buffer.from('u1'),
    value: Buffer.from('{not json'),
  });
  assert.deepEqual(record, {
    topic: 'user-behaviour',
    partition: 2,
    offset: 41,
    timestamp: 5,
    reason: 'invalid JSON: Unexpected token',
    key: 'u1',
    value: '{not json',
  });
});

test('Redis comes from the configuration redis section, else $REDIS_URL, else nowhere', () => {
  const configured = loadConfiguration({ text: 'redis:\n  url: redis://cache:6380\n', file: 'test.yaml', env: {} });
  assert.deepEqual(redisConnection(configured, { REDIS_URL: 'redis://other:1' }), { url: 'redis://cache:6380' });
  assert.deepEqual(redisConnection(defaultConfiguration, { REDIS_URL: 'redis://other:1' }), { url: 'redis://other:1' });
  assert.equal(redisConnection(defaultConfiguration, {}), undefined);
});
