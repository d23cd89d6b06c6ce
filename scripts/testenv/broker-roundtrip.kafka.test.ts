// Proof that testenv's Kafka is a real broker: a message produced with
// @platformatic/kafka comes back from a consumer group, key and value intact.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import {
  Admin,
  Consumer,
  MessagesStreamModes,
  Producer,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka';
import { endpoints, ensureServices } from './index.ts';

const topic = `brook-testenv-${randomUUID()}`;
const brokers = [...endpoints.kafka.bootstrapBrokers];
let admin: Admin;

before(async () => {
  await ensureServices('kafka');
  admin = new Admin({ clientId: 'brook-test-admin', bootstrapBrokers: brokers });
  await admin.createTopics({ topics: [topic], partitions: 2, replicas: 1 });
});

after(async () => {
  await admin.deleteTopics({ topics: [topic] });
  await admin.close();
});

test(
  'messages produced to the broker are consumed back by a consumer group with keys and values intact',
  { timeout: 60_000 },
  async () => {
    const sent = Array.from({ length: 20 }, (_, i) => ({ key: `user-${i % 5}`, value: `event-${i}` }));
    const producer = new Producer({
      clientId: 'brook-test-producer',
      bootstrapBrokers: brokers,
      serializers: stringSerializers,
    });
    try {
      await producer.send({ messages: sent.map((m) => ({ topic, ...m })) });
    } finally {
      await producer.close();
    }

    const consumer = new Consumer({
      groupId: `brook-test-${randomUUID()}`,
      clientId: 'brook-test-consumer',
      bootstrapBrokers: brokers,
      deserializers: stringDeserializers,
    });
    // A consumer group delivers at least once: a rebalance while the group
    // settles can hand a partition back from its uncommitted start, so the
    // same offset may arrive twice (seen in CI). Keep one copy per offset.
    const received = new Map<string, { key: string; value: string; partition: number }>();
    try {
      const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, maxWaitTime: 500 });
      for await (const message of stream) {
        const at = `${message.partition}@${message.offset}`;
        const seen = received.get(at);
        if (seen) assert.deepEqual(seen, { key: message.key, value: message.value, partition: message.partition });
        received.set(at, { key: message.key, value: message.value, partition: message.partition });
        if (received.size === sent.length) break;
      }
      await stream.close();
    } finally {
      await consumer.close();
    }

    const byValue = (a: { value: string }, b: { value: string }) => a.value.localeCompare(b.value);
    const distinct = [...received.values()];
    assert.deepEqual(distinct.map(({ key, value }) => ({ key, value })).sort(byValue), [...sent].sort(byValue));
    // The same key always lands in the same partition: the broker really partitions.
    const partitionOfKey = new Map<string, number>();
    for (const m of distinct) {
      assert.equal(partitionOfKey.get(m.key) ?? m.partition, m.partition, `key ${m.key} spread over partitions`);
      partitionOfKey.set(m.key, m.partition);
    }
  },
);
