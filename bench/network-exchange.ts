// Record exchange throughput: the same batches through an in-process channel
// and through the TCP data exchange on loopback (two DataExchange instances in
// this process: encoding, framing, credits and the kernel's loopback), as a
// ratio within one run. Prints a table and JSON.
//
//   node --import tsx bench/network-exchange.ts [--records N] [--batch N]
import { LocalChannel, type InputChannel, type OutputChannel } from '../runtime/execution/channel.ts';
import type { ChannelItem } from '../runtime/execution/elements.ts';
import { DataExchange } from '../runtime/network/data-exchange.ts';

const flag = (name: string, fallback: number) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const RECORDS = flag('--records', 2_000_000);
const BATCH = flag('--batch', 512);
const CAPACITY = 8;

interface Result {
  channel: string;
  records: number;
  seconds: number;
  recordsPerSecond: number;
}

async function run(name: string, output: OutputChannel, input: InputChannel): Promise<Result> {
  const started = performance.now();
  let received = 0;
  const consuming = (async () => {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const item: ChannelItem | undefined = input.poll();
      if (item === undefined) {
        if (Date.now() > deadline) throw new Error('consumer timed out');
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      if (item.kind === 'end') return;
      if (item.kind === 'records') received += item.values.length;
    }
  })();
  for (let sent = 0; sent < RECORDS; sent += BATCH) {
    if (output.isFull()) await output.whenWritable();
    const values = Array.from({ length: BATCH }, (_, i) => ({
      id: sent + i,
      user: `u${(sent + i) % 1000}`,
      amount: i,
    }));
    output.push({ kind: 'records', values, timestamps: values.map((v) => v.id) });
  }
  if (output.isFull()) await output.whenWritable();
  output.push({ kind: 'end' });
  await consuming;
  const seconds = (performance.now() - started) / 1000;
  if (received < RECORDS) throw new Error(`${name}: received ${received} of ${RECORDS}`);
  return { channel: name, records: received, seconds, recordsPerSecond: Math.round(received / seconds) };
}

async function main(): Promise<void> {
  const results: Result[] = [];
  const local = new LocalChannel(CAPACITY);
  results.push(await run('in-process', local, local));

  const consumer = new DataExchange();
  const producer = new DataExchange();
  const address = await consumer.listen('127.0.0.1', 0);
  const input = consumer.inputChannel('bench/0->0', CAPACITY);
  const output = await producer.outputChannel('bench/0->0', address);
  results.push(await run('tcp loopback (v8 codec)', output, input));
  await producer.close();
  await consumer.close();

  const base = results[0]!.recordsPerSecond;
  console.log('channel | records | seconds | records/s | vs in-process');
  console.log('---|---|---|---|---');
  for (const r of results) {
    console.log(
      `${r.channel} | ${r.records} | ${r.seconds.toFixed(2)} | ${r.recordsPerSecond} | ${(r.recordsPerSecond / base).toFixed(2)}`,
    );
  }
  console.log(JSON.stringify({ benchmark: 'network-exchange', batch: BATCH, capacity: CAPACITY, results }));
}

await main();
