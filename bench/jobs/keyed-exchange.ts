// The job of bench/distributed.ts: generated events -> keyBy (10,000 keys) -> a
// running count per key in keyed state -> a sink that discards records but
// writes figures to STATS_DIR (see statsSink).
//
//   brook jobmanager --job bench/jobs/keyed-exchange.ts -- STATS_DIR RECORDS [--rate N] [--warmup-ms N] [--codec msgpack|v8]
//   brook run bench/jobs/keyed-exchange.ts -- STATS_DIR RECORDS [--rate N] [--warmup-ms N]
//
// With --rate (records per second), records carry their creation time and the
// sink keeps latencies and progress; without it (throughput) nothing reads a
// clock per record, which would cost a third of the one-process run's time.
// --warmup-ms: records reaching a sink writer within this time of its first one
// are left out of its latency histograms. --codec v8: the generated records
// cross TaskManagers as node:v8 structured clones (DataStream.withCodec) instead
// of the default msgpack.
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { KeyedProcessFunction, Sink, StreamEnvironment, ValueState } from '../../runtime/index.ts';
import { v8RecordCodec, valueState } from '../../runtime/index.ts';

export const KEYS = 10_000;

/** Latency histograms: 0.01 ms buckets up to 5 s; slower records land in the last bucket. */
const BUCKET_MS = 0.01;
const BUCKETS = 500_000;

/** How often a writer appends a progress line (records are flowing) to its progress file. */
const PROGRESS_EVERY_MS = 100;

export interface Event {
  key: number;
  /** Wall-clock milliseconds (sub-millisecond precision) when the generator made the record; 0 when untimed. */
  created: number;
  /** The process that generated it: the sink tells records that crossed processes from local ones. */
  pid: number;
}

/** What each sink writer writes to `sink-<writer>.json` when it closes. */
export interface SinkSummary {
  writer: string;
  pid: number;
  subtask: number;
  records: number;
  /** Records in the latency histogram (those after the warm-up). */
  measured: number;
  /** Wall-clock ms of the writer's creation, its first and its last record (untimed: its end of input). */
  createdAt: number;
  firstAt: number;
  lastAt: number;
  closedAt: number;
  /** This process's CPU (user + system, µs) when the writer was created and when it closed. */
  cpuAtCreate: number;
  cpuAtClose: number;
  bucketMs: number;
  /** Non-empty latency buckets as [bucket, count] (bucket × bucketMs = latency in ms), by where the record came from. */
  latency: { local: [number, number][]; remote: [number, number][] };
}

/** One line of `progress-<writer>.jsonl`: at `t`, the writer had seen `records`. */
export interface Progress {
  writer: string;
  createdAt: number;
  t: number;
  records: number;
}

const origin = performance.timeOrigin;
/** Wall-clock milliseconds with sub-millisecond precision, comparable between processes on one machine. */
const now = () => origin + performance.now();

function nonEmpty(histogram: Uint32Array): [number, number][] {
  const buckets: [number, number][] = [];
  for (let b = 0; b < histogram.length; b++) if (histogram[b]! > 0) buckets.push([b, histogram[b]!]);
  return buckets;
}

function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/**
 * Discards records, but keeps what the benchmark reads: first and last record
 * times and the process's CPU over the writer's life (written at close); when
 * timed, a latency histogram (now − created) and a progress line every 100 ms
 * while records arrive (so a restart shows when records flow again).
 */
function statsSink(dir: string, options: { timed: boolean; warmupMs: number }): Sink<Event> {
  const { timed, warmupMs } = options;
  return {
    createWriter(context) {
      const createdAt = now();
      const writer = `${process.pid}-${context.subtaskIndex}-${Math.round(createdAt)}`;
      const cpuAtCreate = cpuMicros();
      const local = new Uint32Array(BUCKETS);
      const remote = new Uint32Array(BUCKETS);
      let records = 0;
      let measured = 0;
      let firstAt = 0;
      let lastAt = 0;
      let nextProgress = 0;
      const progressFile = join(dir, `progress-${writer}.jsonl`);
      return {
        write({ created, pid }: Event) {
          if (records++ === 0) firstAt = now();
          if (!timed) return;
          const t = now();
          lastAt = t;
          if (t - firstAt >= warmupMs) {
            (pid === process.pid ? local : remote)[Math.min(BUCKETS - 1, Math.floor((t - created) / BUCKET_MS))]!++;
            measured++;
          }
          if (t >= nextProgress) {
            nextProgress = t + PROGRESS_EVERY_MS;
            const line: Progress = { writer, createdAt, t, records };
            appendFileSync(progressFile, `${JSON.stringify(line)}\n`);
          }
        },
        flush(endOfInput: boolean) {
          if (endOfInput && !timed) lastAt = now();
        },
        close() {
          if (lastAt === 0) lastAt = now();
          const summary: SinkSummary = {
            writer,
            pid: process.pid,
            subtask: context.subtaskIndex,
            records,
            measured,
            createdAt,
            firstAt,
            lastAt,
            closedAt: now(),
            cpuAtCreate,
            cpuAtClose: cpuMicros(),
            bucketMs: BUCKET_MS,
            latency: { local: nonEmpty(local), remote: nonEmpty(remote) },
          };
          writeFileSync(join(dir, `sink-${writer}.json`), JSON.stringify(summary));
        },
      };
    },
  };
}

export default function build(env: StreamEnvironment, args: string[]): void {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { rate: { type: 'string' }, 'warmup-ms': { type: 'string' }, codec: { type: 'string' } },
  });
  const [dir, records] = positionals;
  if (!dir || !records) throw new Error('usage: -- STATS_DIR RECORDS [--rate N] [--warmup-ms N] [--codec msgpack|v8]');
  // The light keyed function: a running count per key, in keyed state so a restart restores it.
  const count: KeyedProcessFunction<number, Event, Event> & { n?: ValueState<number> } = {
    open(ctx) {
      this.n = ctx.getState(valueState<number>('n'));
    },
    processElement(event, _ctx, out) {
      this.n!.update((this.n!.value() ?? 0) + 1);
      out.collect(event);
    },
  };
  const timed = values.rate !== undefined;
  const events = env
    .fromGenerator<Event>({
      count: Number(records),
      recordsPerSecond: timed ? Number(values.rate) : undefined,
      seed: 1,
      generate: timed
        ? (_i, random) => ({ key: random.int(0, KEYS), created: now(), pid: process.pid })
        : (_i, random) => ({ key: random.int(0, KEYS), created: 0, pid: 0 }),
    })
    .uid('events');
  if (values.codec === 'v8') events.withCodec(v8RecordCodec());
  else if (values.codec !== undefined && values.codec !== 'msgpack') throw new Error(`unknown codec ${values.codec}`);
  events
    .keyBy((e) => e.key)
    .process(count)
    .uid('count')
    .sinkTo(statsSink(dir, { timed, warmupMs: Number(values['warmup-ms'] ?? 0) }))
    .uid('stats');
}
