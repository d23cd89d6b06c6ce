// Checkpoint cost with heap keyed state of a given size, to file:// and to S3
// (testenv's server): how long a checkpoint takes, and how long the pipeline
// stalls (the longest gap between two records reaching the sink while
// checkpoints run). Prints a table and JSON.
//
//   node --import tsx bench/checkpoint-duration.ts [--sizes 10,100] (MiB) [--backends heap,lmdb] [--storages file,s3]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { endpoints, ensureServices } from '../scripts/testenv/index.ts';
import {
  StreamEnvironment,
  valueState,
  type KeyedProcessFunction,
  type Sink,
  type ValueState,
} from '../runtime/index.ts';
import { openCheckpointStorage } from '../runtime/checkpoint/storage.ts';

const VALUE_BYTES = 1024;
const RATE = 50_000;
const RUN_SECONDS = 8;

interface Result {
  backend: string;
  storage: string;
  stateMiB: number;
  checkpoints: number;
  medianCheckpointMs: number;
  maxCheckpointMs: number;
  maxStallMs: number;
  records: number;
}

async function measure(storageUri: string, stateMiB: number, backend: 'heap' | 'lmdb'): Promise<Result> {
  const keys = Math.round((stateMiB * 1024 * 1024) / VALUE_BYTES);
  // Fill the state as fast as the job goes, then keep updating it for RUN_SECONDS at RATE while checkpoints run.
  const updates = RATE * RUN_SECONDS;
  const env = new StreamEnvironment()
    .setParallelism(1)
    .enableCheckpointing(1000)
    .setCheckpointStorage(storageUri, endpoints.s3)
    .setStateBackend({ kind: backend });
  const keep: KeyedProcessFunction<number, number, number> & { value?: ValueState<string> } = {
    open(ctx) {
      this.value = ctx.getState(valueState<string>('payload'));
    },
    processElement(i, _ctx, out) {
      // Each key holds VALUE_BYTES of text; later records rewrite it.
      this.value!.update(String(i % 10).repeat(VALUE_BYTES));
      out.collect(i);
    },
  };
  let last = 0;
  let maxStall = 0;
  let records = 0;
  const stallSink: Sink<number> = {
    createWriter: () => ({
      write() {
        const now = performance.now();
        if (last > 0) maxStall = Math.max(maxStall, now - last);
        last = now;
        records++;
      },
    }),
  };
  env
    .fromGenerator({ count: keys + updates, recordsPerSecond: RATE + keys / 2, generate: (i) => i })
    .keyBy((i) => i % keys)
    .process(keep)
    .uid('payloads')
    .sinkTo(stallSink);
  const result = await env.execute(`checkpoint-${stateMiB}MiB`);
  const durations = result.checkpoints.map((c) => c.durationMs).sort((a, b) => a - b);
  return {
    backend,
    storage: storageUri.split(':')[0]!,
    stateMiB,
    checkpoints: durations.length,
    medianCheckpointMs: durations[Math.floor(durations.length / 2)] ?? NaN,
    maxCheckpointMs: durations.at(-1) ?? NaN,
    maxStallMs: Math.round(maxStall),
    records,
  };
}

async function main(): Promise<void> {
  const sizesFlag = process.argv.indexOf('--sizes');
  const sizes = (sizesFlag > 0 ? process.argv[sizesFlag + 1]! : '10,100').split(',').map(Number);
  const flag = (name: string, fallback: string) => {
    const at = process.argv.indexOf(name);
    return (at > 0 ? process.argv[at + 1]! : fallback).split(',');
  };
  const backends = flag('--backends', 'heap,lmdb') as ('heap' | 'lmdb')[];
  const storages = flag('--storages', 'file,s3');
  await ensureServices('s3');
  const bucket = `brook-bench-${Date.now()}`;
  const client = new S3Client(endpoints.s3);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
  const dir = mkdtempSync(join(tmpdir(), 'brook-bench-checkpoints-'));
  const results: Result[] = [];
  try {
    for (const size of sizes) {
      for (const backend of backends) {
        if (storages.includes('file')) results.push(await measure(`file://${dir}`, size, backend));
        if (storages.includes('s3')) results.push(await measure(`s3://${bucket}/checkpoints`, size, backend));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await (await openCheckpointStorage(`s3://${bucket}`, endpoints.s3)).deleteAll('');
  }
  console.log('backend | storage | keyed state MiB | checkpoints | median ms | max ms | max stall ms | records');
  console.log('---|---|---|---|---|---|---|---');
  for (const r of results) {
    console.log(
      `${r.backend} | ${r.storage} | ${r.stateMiB} | ${r.checkpoints} | ${r.medianCheckpointMs} | ${r.maxCheckpointMs} | ${r.maxStallMs} | ${r.records}`,
    );
  }
  console.log(JSON.stringify({ benchmark: 'checkpoint-duration', results }));
}

await main();
