// Kafka connector throughput against the testenv broker: source → map → sink
// at-least-once and exactly-once, and source → keyBy → 1 s tumbling count →
// sink exactly-once, over N pre-produced 200-byte records. Each scenario runs
// in its own process; its output is read back and checked. Prints a table and JSON.
//
//   npm run testenv -- up kafka
//   node --import tsx bench/kafka-throughput.ts [--records N] [--partitions N] [--parallelism N]
//     [--scenarios a,b,c] [--checkpoint-ms N] [--timeout-s N] [--cpu-prof DIR]
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Admin, Consumer, FetchIsolationLevels, MessagesStreamModes, Producer } from '@platformatic/kafka';
import { endpoints, ensureServices } from '../scripts/testenv/index.ts';
import { status } from '../scripts/testenv/environment.ts';
import {
  StreamEnvironment,
  TumblingEventTimeWindows,
  forBoundedOutOfOrderness,
  kafkaSink,
  kafkaSource,
} from '../runtime/index.ts';

const brokers = [...endpoints.kafka.bootstrapBrokers];
const RECORD_BYTES = 200;
const KEYS = 10_000;
/** Pre-produced record i has event time base + i / EVENTS_PER_SECOND s (as in runtime-throughput.ts). */
const EVENTS_PER_SECOND = 100_000;
/** Exactly-once, per core: records per CPU-second of the job's process. */
const TARGET_PER_CORE = 100_000;

type ScenarioId = 'a' | 'b' | 'c';
const scenarioNames: Record<ScenarioId, string> = {
  a: 'kafka -> map -> kafka, at-least-once',
  b: 'kafka -> map -> kafka, exactly-once',
  c: 'kafka -> keyBy -> 1 s tumbling count -> kafka, exactly-once',
};

/** Ctrl-C stops the running scenario; the topics are deleted all the same. */
const interrupted = new AbortController();

/** What a child process needs to run one scenario. */
interface ChildTask {
  scenario: ScenarioId;
  input: string;
  output: string;
  records: number;
  parallelism: number;
  checkpointMs: number;
  brokerPid: number | undefined;
}

interface Result {
  scenario: string;
  id: ScenarioId;
  records: number;
  seconds: number;
  cpuSeconds: number;
  recordsPerSecond: number;
  recordsPerCpuSecond: number;
  checkpoints: number;
  medianCheckpointMs: number | undefined;
  /** Duration of every completed checkpoint, in order (the last is the final one at the end of input). */
  checkpointMs: number[];
  peakRssMiB: number;
  /** CPU the broker (a JVM on the same cores) used meanwhile, and all the machine's busy CPU. */
  brokerCpuSeconds: number | undefined;
  machineBusyCpuSeconds: number;
  outputRecords?: number;
}

// ---- the jobs (child process) ----

function buildJob(env: StreamEnvironment, task: ChildTask, transactionalIdPrefix: string): void {
  const connection = {
    bootstrapServers: brokers,
    topics: [task.input],
    bounded: true,
    partitionDiscoveryIntervalMs: 0,
  };
  const sink = (exactlyOnce: boolean, key?: (line: string) => string) =>
    kafkaSink<string>({
      bootstrapServers: brokers,
      topic: task.output,
      ...(key ? { key } : {}),
      deliveryGuarantee: exactlyOnce ? 'exactly-once' : 'at-least-once',
      transactionalIdPrefix,
    });
  if (task.scenario !== 'c') {
    env
      .fromSource(kafkaSource(connection), undefined, 'kafka')
      .uid('kafka-in')
      .map((value) => value)
      .name('map')
      .sinkTo(sink(task.scenario === 'b'))
      .uid('kafka-out');
    return;
  }
  env
    .fromSource(
      kafkaSource({ ...connection, map: (r) => r.key as string }),
      forBoundedOutOfOrderness<string>(0),
      'kafka',
    )
    .uid('kafka-in')
    .keyBy((key) => key)
    .window(TumblingEventTimeWindows.of(1000))
    .aggregate<number, number, string>(
      { createAccumulator: () => 0, add: (_, n) => n + 1, getResult: (n) => n, merge: (a, b) => a + b },
      {
        process(key, context, counts, out) {
          for (const n of counts) out.collect(`${key},${context.window.start},${n}`);
        },
      },
    )
    .uid('counts')
    .sinkTo(sink(true, (line) => line.slice(0, line.indexOf(','))))
    .uid('kafka-out');
}

/** utime + stime of a process, in seconds (/proc/PID/stat, clock ticks of 1/100 s). */
function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Busy CPU of the whole machine in seconds (/proc/stat: everything but idle and iowait). */
function machineBusySeconds(): number {
  const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]!
    .trim()
    .split(/\s+/)
    .map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / 100;
}

async function runChild(task: ChildTask): Promise<Result> {
  const checkpoints = mkdtempSync(join(tmpdir(), 'brook-bench-kafka-'));
  try {
    const env = new StreamEnvironment()
      .setParallelism(task.parallelism)
      .enableCheckpointing(task.checkpointMs)
      .setCheckpointStorage(`file://${checkpoints}`);
    buildJob(env, task, `bench-${randomUUID().slice(0, 8)}`);
    const brokerBefore = processCpuSeconds(task.brokerPid);
    const machineBefore = machineBusySeconds();
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    const result = await env.execute(scenarioNames[task.scenario]);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpuBefore);
    const brokerAfter = processCpuSeconds(task.brokerPid);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const durations = result.checkpoints.filter((c) => c.kind === 'checkpoint').map((c) => c.durationMs);
    const sorted = durations.toSorted((x, y) => x - y);
    return {
      scenario: scenarioNames[task.scenario],
      id: task.scenario,
      records: task.records,
      seconds,
      cpuSeconds,
      recordsPerSecond: task.records / seconds,
      recordsPerCpuSecond: task.records / cpuSeconds,
      checkpoints: durations.length,
      medianCheckpointMs: sorted[Math.floor(sorted.length / 2)],
      checkpointMs: durations,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
      brokerCpuSeconds:
        brokerBefore === undefined || brokerAfter === undefined ? undefined : brokerAfter - brokerBefore,
      machineBusyCpuSeconds: machineBusySeconds() - machineBefore,
    };
  } finally {
    rmSync(checkpoints, { recursive: true, force: true });
  }
}

// ---- input, output check, orchestration (parent process) ----

const eventTime = (base: number, i: number) => base + Math.floor((i * 1000) / EVENTS_PER_SECOND);

/** N records of 200-byte values over the partitions in order, key k<i mod KEYS>; returns the event-time base. */
async function produceInput(topic: string, records: number, partitions: number): Promise<number> {
  const producer = new Producer({ clientId: 'brook-bench-producer', bootstrapBrokers: brokers, acks: 1 });
  const base = Date.now();
  const pad = 'x'.repeat(RECORD_BYTES);
  const chunk = 5000;
  try {
    const inFlight = new Set<Promise<unknown>>();
    for (let from = 0; from < records; from += chunk) {
      interrupted.signal.throwIfAborted();
      const messages = [];
      for (let i = from; i < Math.min(records, from + chunk); i++) {
        const value = `${i}:`;
        messages.push({
          topic,
          partition: i % partitions,
          key: Buffer.from(`k${i % KEYS}`),
          value: Buffer.from(value + pad.slice(value.length)),
          timestamp: BigInt(eventTime(base, i)),
        });
      }
      const sent: Promise<unknown> = producer.send({ messages }).finally(() => inFlight.delete(sent));
      inFlight.add(sent);
      if (inFlight.size >= 8) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } finally {
    await producer.close();
  }
  return base;
}

/** Distinct (key, window) pairs of the input: the records the window scenario must write. */
function expectedWindows(records: number, base: number): number {
  const seen = new Set<string>();
  for (let i = 0; i < records; i++) seen.add(`${i % KEYS},${Math.floor(eventTime(base, i) / 1000)}`);
  return seen.size;
}

/**
 * Reads `topic` read_committed until `expected` records came and then 2 s passed without more (so duplicates
 * would show), or the deadline; returns the record count and the sum of the last comma field (window counts).
 */
async function readBack(
  topic: string,
  expected: number,
  sumCounts: boolean,
): Promise<{ records: number; countSum: number }> {
  const groupId = `brook-bench-reader-${randomUUID().slice(0, 8)}`;
  const consumer = new Consumer({
    clientId: 'brook-bench-reader',
    groupId,
    bootstrapBrokers: brokers,
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    maxWaitTime: 200,
  });
  let records = 0;
  let countSum = 0;
  try {
    const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: false });
    const deadline = Date.now() + 180_000;
    let lastAt = Date.now();
    const timer = setInterval(() => {
      if ((records >= expected && Date.now() - lastAt > 2000) || Date.now() > deadline) void stream.close();
    }, 100);
    try {
      for await (const message of stream) {
        records++;
        if (sumCounts) {
          const value = message.value.toString('latin1');
          countSum += Number(value.slice(value.lastIndexOf(',') + 1));
        }
        lastAt = Date.now();
      }
    } finally {
      clearInterval(timer);
    }
  } finally {
    await new Promise<void>((resolve) => consumer.close(true, () => resolve()));
  }
  const admin = new Admin({ clientId: 'brook-bench-admin', bootstrapBrokers: brokers });
  await admin.deleteGroups({ groups: [groupId] }).catch(() => {});
  await admin.close();
  return { records, countSum };
}

function spawnScenario(task: ChildTask, timeoutMs: number, cpuProfDir: string | undefined): Promise<Result> {
  return new Promise((resolve, reject) => {
    const profile = cpuProfDir
      ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir, '--cpu-prof-name', `${task.scenario}.cpuprofile`]
      : [];
    const child = spawn(
      process.execPath,
      [...profile, '--import', 'tsx', fileURLToPath(import.meta.url), '--child', JSON.stringify(task)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const stop = () => child.kill('SIGKILL');
    interrupted.signal.addEventListener('abort', stop);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      interrupted.signal.removeEventListener('abort', stop);
      if (interrupted.signal.aborted) {
        reject(new Error('interrupted'));
        return;
      }
      if (code !== 0) {
        const why = signal ? `killed (${signal}) after the ${timeoutMs / 1000} s limit` : `exit ${code}`;
        reject(new Error(`scenario ${task.scenario} failed: ${why}\n${stderr.slice(-4000)}`));
        return;
      }
      resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as Result);
    });
  });
}

function printResults(results: Result[], records: number, partitions: number, parallelism: number): void {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const reference = results.find((r) => r.id === 'a');
  const ratio = (r: Result, pick: (x: Result) => number) => (reference ? (pick(r) / pick(reference)).toFixed(2) : '-');
  console.log(
    `${fmt(records)} records of ${RECORD_BYTES} bytes, ${partitions} partitions, parallelism ${parallelism}, ` +
      `${cpus().length} cores, Node ${process.version}`,
  );
  console.log(
    'scenario | seconds | records/s | records/CPU-s | vs target | checkpoints (median ms) | peak RSS MiB | broker CPU-s | machine busy CPU-s',
  );
  console.log('---|---|---|---|---|---|---|---|---');
  for (const r of results) {
    const target = r.id === 'a' ? '(reference)' : `${(r.recordsPerCpuSecond / TARGET_PER_CORE).toFixed(2)}x of 100,000`;
    const median = r.medianCheckpointMs === undefined ? '-' : fmt(r.medianCheckpointMs);
    const broker = r.brokerCpuSeconds === undefined ? '-' : r.brokerCpuSeconds.toFixed(1);
    console.log(
      `${r.scenario} | ${r.seconds.toFixed(2)} | ${fmt(r.recordsPerSecond)} | ${fmt(r.recordsPerCpuSecond)} | ${target} | ` +
        `${r.checkpoints} (${median}) | ${r.peakRssMiB.toFixed(0)} | ${broker} | ${r.machineBusyCpuSeconds.toFixed(1)}`,
    );
  }
  if (reference) {
    for (const r of results.filter((x) => x !== reference)) {
      console.log(
        `ratio ${r.id}/a: records/s ${ratio(r, (x) => x.recordsPerSecond)}, records/CPU-s ${ratio(r, (x) => x.recordsPerCpuSecond)}, ` +
          `peak RSS ${ratio(r, (x) => x.peakRssMiB)}, checkpoints ${r.checkpoints} vs ${reference.checkpoints}`,
      );
    }
  }
  console.log(`target: ${fmt(TARGET_PER_CORE)} records/s per core exactly-once (records/CPU-s of the job process)`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      records: { type: 'string', default: '500000' },
      partitions: { type: 'string', default: '4' },
      parallelism: { type: 'string', default: '1' },
      scenarios: { type: 'string', default: 'a,b,c' },
      'checkpoint-ms': { type: 'string', default: '1000' },
      'timeout-s': { type: 'string', default: '600' },
      /** Writes a V8 CPU profile of each scenario's process (<scenario>.cpuprofile) into this folder. */
      'cpu-prof': { type: 'string' },
    },
  });
  const records = Number(values.records);
  const partitions = Number(values.partitions);
  const parallelism = Number(values.parallelism);
  const checkpointMs = Number(values['checkpoint-ms']);
  const timeoutMs = Number(values['timeout-s']) * 1000;
  const ids = values.scenarios.split(',') as ScenarioId[]; // checked below
  for (const [name, n] of Object.entries({ records, partitions, parallelism, checkpointMs, timeoutMs })) {
    if (!(Number.isSafeInteger(n) && n > 0)) throw new Error(`--${name}: expected a positive whole number`);
  }
  for (const id of ids) if (!(id in scenarioNames)) throw new Error(`--scenarios: unknown scenario '${id}' (a, b, c)`);

  process.once('SIGINT', () => interrupted.abort());
  await ensureServices('kafka');
  const brokerPid = (await status()).find((s) => s.name === 'kafka')?.pid;
  const admin = new Admin({ clientId: 'brook-bench-admin', bootstrapBrokers: brokers });
  const topics: string[] = [];
  const createTopic = async (label: string) => {
    const topic = `brook-bench-${label}-${randomUUID().slice(0, 8)}`;
    await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
    topics.push(topic);
    return topic;
  };
  const results: Result[] = [];
  try {
    const input = await createTopic('in');
    const produceStarted = Date.now();
    const base = await produceInput(input, records, partitions);
    const produceSeconds = (Date.now() - produceStarted) / 1000;
    console.error(`produced ${records} records in ${produceSeconds.toFixed(1)} s`);
    const windows = expectedWindows(records, base);
    for (const id of ids) {
      const output = await createTopic(`out-${id}`);
      const task: ChildTask = { scenario: id, input, output, records, parallelism, checkpointMs, brokerPid };
      const result = await spawnScenario(task, timeoutMs, values['cpu-prof']);
      interrupted.signal.throwIfAborted();
      const expected = id === 'c' ? windows : records;
      const seen = await readBack(output, expected, id === 'c');
      // At-least-once may duplicate (none is expected here without failures); exactly-once must not.
      const exact = id !== 'a';
      const ok =
        (exact ? seen.records === expected : seen.records >= expected) && (id !== 'c' || seen.countSum === records);
      if (!ok) {
        throw new Error(
          `scenario ${id}: the output topic holds ${seen.records} records (window counts sum ${seen.countSum}), ` +
            `expected ${expected}${id === 'c' ? ` summing to ${records}` : ''}`,
        );
      }
      result.outputRecords = seen.records;
      results.push(result);
      console.error(`${id}: ${Math.round(result.recordsPerSecond)} records/s, output checked`);
    }
  } finally {
    await admin.deleteTopics({ topics }).catch((error: unknown) => console.error('deleting topics failed:', error));
    await admin.close();
  }
  printResults(results, records, partitions, parallelism);
  console.log(JSON.stringify({ benchmark: 'kafka-throughput', records, partitions, parallelism, results }));
}

const childFlag = process.argv.indexOf('--child');
if (childFlag > 0) {
  const result = await runChild(JSON.parse(process.argv[childFlag + 1]!) as ChildTask);
  console.log(JSON.stringify(result));
} else {
  await main().catch((error: unknown) => {
    console.error(interrupted.signal.aborted ? 'interrupted (topics deleted)' : error);
    process.exitCode = interrupted.signal.aborted ? 130 : 1;
  });
}
