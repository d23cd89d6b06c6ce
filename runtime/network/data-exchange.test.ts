// Record exchange between processes over loopback TCP: everything sent arrives
// once and in order with its events in band, a slow consumer bounds what is in
// flight by its credits, frames survive any split into TCP chunks, and a peer
// that goes away is a clear error on both ends.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { SeededRandom } from '../connectors/random.ts';
import type { ChannelItem } from '../execution/elements.ts';
import { DataExchange, PeerLostError, type RemoteInputChannel } from './data-exchange.ts';
import { FrameDecoder, FrameType, encodeFrame } from './frames.ts';

const exchanges: DataExchange[] = [];
after(async () => {
  for (const exchange of exchanges) await exchange.close();
});

async function pair() {
  const consumer = new DataExchange();
  const producer = new DataExchange();
  exchanges.push(consumer, producer);
  const address = await consumer.listen('127.0.0.1', 0);
  return { consumer, producer, address };
}

/** Polls until `until` says stop, yielding between polls like a task; bounded by a deadline. */
async function drain(channel: RemoteInputChannel, onItem: (item: ChannelItem) => boolean, slow = false) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (Date.now() > deadline) throw new Error('drain timed out');
    const item = channel.poll();
    if (item === undefined) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      continue;
    }
    if (!onItem(item)) return;
    if (slow) await new Promise((resolve) => setImmediate(resolve));
  }
}

test('batches and events arrive once, in order, and a slow consumer never holds more than its credits', async () => {
  const { consumer, producer, address } = await pair();
  const capacity = 4;
  const input = consumer.inputChannel('job/edge-1/0->0', capacity);
  const output = await producer.outputChannel('job/edge-1/0->0', address);

  const sent: ChannelItem[] = [];
  for (let batch = 0; batch < 2000; batch++) {
    const values = Array.from({ length: 16 }, (_, i) => ({ n: batch * 16 + i, text: `v${batch}` }));
    sent.push({ kind: 'records', values, timestamps: values.map((v) => v.n * 10) });
    if (batch % 100 === 0) sent.push({ kind: 'watermark', timestamp: batch * 160 });
    if (batch === 1000) sent.push({ kind: 'barrier', checkpointId: 7, stop: false });
    if (batch === 1500) sent.push({ kind: 'status', idle: true });
  }
  sent.push({ kind: 'end' });

  let maxQueued = 0;
  const received: ChannelItem[] = [];
  const consuming = drain(
    input,
    (item) => {
      maxQueued = Math.max(maxQueued, input.length + 1);
      received.push(item);
      return item.kind !== 'end';
    },
    true,
  );
  for (const item of sent) {
    if (output.isFull()) await output.whenWritable();
    output.push(item);
  }
  await consuming;
  assert.deepEqual(received, sent);
  assert.ok(maxQueued <= capacity, `the consumer held ${maxQueued} items, more than its ${capacity} credits`);
});

test('frames cut into arbitrary TCP chunks are reassembled exactly', () => {
  const random = new SeededRandom().reset(42);
  const frames = Array.from({ length: 200 }, (_, i) => ({
    type: i % 3 === 0 ? FrameType.CREDIT : FrameType.DATA,
    channel: `channel-${i % 7}`,
    payload: Buffer.from(Array.from({ length: random.int(0, 300) }, (_, j) => (i + j) % 256)),
  }));
  const wire = Buffer.concat(frames.map((f) => encodeFrame(f.type, f.channel, f.payload)));
  const decoder = new FrameDecoder();
  const decoded = [];
  for (let offset = 0; offset < wire.length;) {
    const size = random.int(1, 64);
    decoded.push(...decoder.push(wire.subarray(offset, offset + size)));
    offset += size;
  }
  assert.deepEqual(
    decoded.map((f) => [f.type, f.channel, f.payload.toString('hex')]),
    frames.map((f) => [f.type, f.channel, f.payload.toString('hex')]),
  );
});

test('a corrupt frame length is refused instead of allocating it', () => {
  const decoder = new FrameDecoder();
  assert.throws(
    () => decoder.push(Buffer.from([0xff, 0xff, 0xff, 0xff, 1])),
    /frame length 4294967295 is out of range/,
  );
});

test('a producer that goes away before end of input fails the consumer naming the channel', async () => {
  const { consumer, producer, address } = await pair();
  const input = consumer.inputChannel('job/edge-2/1->0', 4);
  const output = await producer.outputChannel('job/edge-2/1->0', address);
  output.push({ kind: 'records', values: [1, 2, 3], timestamps: [1, 2, 3] });
  await drain(input, (item) => item.kind !== 'records');
  await producer.close();
  await assert.rejects(
    drain(input, () => true),
    (error: unknown) => error instanceof PeerLostError && /channel job\/edge-2\/1->0 lost its peer/.test(error.message),
  );
});

test('a consumer that goes away fails the producer waiting for credit', async () => {
  const { consumer, producer, address } = await pair();
  consumer.inputChannel('job/edge-3/0->1', 1);
  const output = await producer.outputChannel('job/edge-3/0->1', address);
  await output.whenWritable().catch(() => {});
  for (let i = 0; i < 3; i++) output.push({ kind: 'records', values: [i], timestamps: [i] });
  const waiting = output.whenWritable();
  await consumer.close();
  await assert.rejects(waiting, PeerLostError);
});

test('a record that cannot be serialised fails at the producer, naming the channel', async () => {
  const { consumer, producer, address } = await pair();
  consumer.inputChannel('job/edge-4/0->0', 4);
  const output = await producer.outputChannel('job/edge-4/0->0', address);
  assert.throws(
    () => output.push({ kind: 'records', values: [{ call: () => 1 }], timestamps: [0] }),
    /a record sent on job\/edge-4\/0->0 cannot be serialised/,
  );
});

test('a producer may open its channel before the consumer registered it', async () => {
  const { consumer, producer, address } = await pair();
  const output = await producer.outputChannel('job/edge-5/0->0', address);
  await new Promise((resolve) => setTimeout(resolve, 20));
  const input = consumer.inputChannel('job/edge-5/0->0', 2);
  await output.whenWritable();
  output.push({ kind: 'records', values: ['early'], timestamps: [5] });
  output.push({ kind: 'end' });
  const received: ChannelItem[] = [];
  await drain(input, (item) => (received.push(item), item.kind !== 'end'));
  assert.deepEqual(received, [{ kind: 'records', values: ['early'], timestamps: [5] }, { kind: 'end' }]);
});
