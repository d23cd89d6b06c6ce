// Distributed execution (issue 6): a keyBy exchange between two TaskManager
// processes on loopback against the same job in one `brook run` process,
// end-to-end latency at a fixed rate, and the time from a TaskManager killed
// with SIGKILL to records flowing again. Runs `brook` processes one scenario at
// a time (job: bench/jobs/keyed-exchange.ts). Prints tables and JSON.
//
//   node --import tsx bench/distributed.ts [--records N] [--rate N] [--latency-seconds N]
//     [--scenarios throughput,latency,recovery] [--cpu-prof DIR]
//
// The throughput scenario runs the TaskManagers with the default codec (msgpack), with node:v8, and with
// a cluster secret (every connection authenticated and TLS-encrypted, as the operator deploys jobs).
// --cpu-prof DIR writes a CPU profile of each TaskManager of the default-codec run to DIR (<pid>.cpuprofile).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { BrookProcess } from '../runtime/testing/brook-process.ts';
import {
  Cluster,
  JobWatch,
  progressLines,
  seenAt,
  sinkSummaries,
  untilRunning,
  usage,
  usageSince,
  waitFor,
  type Usage,
} from './distributed-processes.ts';

const JOB = fileURLToPath(new URL('./jobs/keyed-exchange.ts', import.meta.url));
const CPU_PROFILE_PRELOAD = fileURLToPath(new URL('./cpu-profile-preload.ts', import.meta.url));
const PARALLELISM = 2;
const JOB_SPEC = { path: JOB, parallelism: PARALLELISM };
const TARGET_PER_TASK_MANAGER = 300_000;
const TARGET_RECOVERY_S = 10;
// Every wait is bounded (2 minutes unless said); the whole benchmark too (children are killed when this process exits).
setTimeout(() => {
  console.error('bench/distributed.ts: gave up after 6 minutes');
  process.exit(1);
}, 360_000).unref();

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
}

interface Throughput {
  mode: string;
  processes: number;
  records: number;
  /** The JobManager's RUNNING timestamp to the "finished" line: deployment included. */
  seconds: number;
  recordsPerSecondPerProcess: number;
  /** The processes' CPU (/proc/<pid>/stat) over the same span. */
  cpuSeconds: number;
  recordsPerCpuSecond: number;
  /** Over the same span, per process: on a CPU, and runnable but waiting for one (main thread). */
  cpuShare: number;
  waitingShare: number;
  /** Steady state: first to last record at the sinks, without deployment and job start-up. */
  steadySeconds: number;
  steadyPerProcess: number;
  /** CPU of the processes while their sink writers were open (from their summaries). */
  steadyCpuSeconds: number;
  steadyPerCpuSecond: number;
}

function throughputOf(
  mode: string,
  processes: number,
  records: number,
  span: { runningAt: number; finishedAt: number; usage: Usage },
  dir: string,
): Throughput {
  const summaries = sinkSummaries(dir);
  const seen = summaries.reduce((n, s) => n + s.records, 0);
  if (seen !== records) throw new Error(`${mode}: the sinks saw ${seen} records, expected ${records}`);
  const seconds = (span.finishedAt - span.runningAt) / 1000;
  const steadySeconds =
    (Math.max(...summaries.map((s) => s.lastAt)) - Math.min(...summaries.map((s) => s.firstAt))) / 1000;
  // Per process: from its first writer's creation to its last writer's close (the mini-cluster has two in one).
  const cpuByPid = new Map<number, { from: number; to: number }>();
  for (const s of summaries) {
    const cpu = cpuByPid.get(s.pid) ?? { from: Infinity, to: 0 };
    cpuByPid.set(s.pid, { from: Math.min(cpu.from, s.cpuAtCreate), to: Math.max(cpu.to, s.cpuAtClose) });
  }
  const steadyCpuSeconds = [...cpuByPid.values()].reduce((sum, c) => sum + (c.to - c.from) / 1e6, 0);
  return {
    mode,
    processes,
    records,
    seconds,
    recordsPerSecondPerProcess: records / seconds / processes,
    cpuSeconds: span.usage.cpu,
    recordsPerCpuSecond: records / span.usage.cpu,
    cpuShare: span.usage.cpu / seconds / processes,
    waitingShare: span.usage.waiting / seconds / processes,
    steadySeconds,
    steadyPerProcess: records / steadySeconds / processes,
    steadyCpuSeconds,
    steadyPerCpuSecond: records / steadyCpuSeconds,
  };
}

async function withDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'brook-bench-distributed-'));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The job on a JobManager and two TaskManagers; CPU is the TaskManagers' from registration to FINISHED. */
function taskManagersThroughput(
  records: number,
  codec: 'msgpack' | 'v8',
  options: { cpuProfDir?: string; secret?: string } = {},
): Promise<Throughput> {
  const { cpuProfDir, secret } = options;
  return withDir(async (dir) => {
    // Node 20 refuses --cpu-prof in NODE_OPTIONS: a preloaded module runs the same profiler.
    const env: NodeJS.ProcessEnv = cpuProfDir
      ? {
          NODE_OPTIONS: `--import ${import.meta.resolve('tsx')} --import ${CPU_PROFILE_PRELOAD}`,
          BROOK_CPU_PROFILE_DIR: resolve(cpuProfDir),
        }
      : {};
    // With a secret, every connection is authenticated and encrypted (TLS 1.3), as the operator deploys jobs.
    if (secret !== undefined) env.BROOK_CLUSTER_SECRET = secret;
    const cluster = new Cluster(JOB_SPEC, env);
    try {
      await cluster.start(
        [dir, String(records), '--codec', codec],
        secret !== undefined ? [`cluster.secret=${secret}`] : [],
      );
      const watch = new JobWatch(cluster.restUrl, cluster.jobId, untilRunning);
      const finished = seenAt(cluster.jobManager, /finished \(/);
      const tms: BrookProcess[] = [];
      const before: Usage[] = [];
      for (let i = 0; i < PARALLELISM; i++) {
        tms.push(await cluster.startTaskManager());
        before.push(usage(tms[i]!.child.pid!));
      }
      const finishedAt = await finished;
      const used = tms.map((tm, i) => usageSince(tm.child.pid!, before[i]!));
      const total = { cpu: used.reduce((n, u) => n + u.cpu, 0), waiting: used.reduce((n, u) => n + u.waiting, 0) };
      await watch.stop();
      const exit = await cluster.jobManager.exited;
      if (exit.code !== 0) throw new Error(`the JobManager exited with ${exit.code}:\n${cluster.jobManager.stderr}`);
      const runningAt = watch.runningAt;
      if (!runningAt) throw new Error('the REST API never showed the job RUNNING');
      const codecName = codec === 'msgpack' ? 'msgpack codec, the default' : 'node:v8 codec';
      return throughputOf(
        `JobManager + 2 TaskManagers (${codecName}${secret !== undefined ? ', cluster.secret: TLS 1.3' : ''})`,
        PARALLELISM,
        records,
        { runningAt, finishedAt, usage: total },
        dir,
      );
    } finally {
      await cluster.stop(cpuProfDir !== undefined);
    }
  });
}

/** The same job in one `brook run` process at the same parallelism (the mini-cluster). */
function miniClusterThroughput(records: number): Promise<Throughput> {
  return withDir(async (dir) => {
    const jobId = randomUUID().replaceAll('-', '');
    const run = new BrookProcess('brook run', [
      'run',
      JOB,
      ...[`job.parallelism=${PARALLELISM}`, `job.id=${jobId}`, 'rest.port=0'].flatMap((s) => ['--set', s]),
      '--',
      dir,
      String(records),
    ]);
    try {
      const finished = seenAt(run, /finished in/);
      const restUrl = (await run.waitFor(/REST API at (http:[^\s"]+)/))[1]!;
      const watch = new JobWatch(restUrl, jobId, untilRunning);
      const pid = run.child.pid!;
      const before = usage(pid);
      const finishedAt = await finished;
      const used = usageSince(pid, before);
      await watch.stop();
      const exit = await run.exited;
      if (exit.code !== 0) throw new Error(`brook run exited with ${exit.code}:\n${run.stderr}`);
      const runningAt = watch.runningAt;
      if (!runningAt) throw new Error('the REST API never showed the job RUNNING');
      return throughputOf('brook run (mini-cluster)', 1, records, { runningAt, finishedAt, usage: used }, dir);
    } finally {
      await run.kill('SIGKILL');
    }
  });
}

interface Percentiles {
  records: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

interface Latency {
  mode: string;
  rate: number;
  achievedRate: number;
  all: Percentiles;
  /** Records that crossed from one process to another (none on the mini-cluster). */
  remote: Percentiles;
  /** Records that stayed in the process that generated them. */
  local: Percentiles;
}

/** Percentiles of merged histograms of [bucket, count]; a bucket's upper bound is reported. */
function percentiles(histograms: [number, number][][], bucketMs: number): Percentiles {
  const counts = new Map<number, number>();
  for (const histogram of histograms) for (const [b, n] of histogram) counts.set(b, (counts.get(b) ?? 0) + n);
  const buckets = [...counts].sort((a, b) => a[0] - b[0]);
  const records = buckets.reduce((n, [, c]) => n + c, 0);
  const at = (p: number) => {
    let seen = 0;
    for (const [bucket, count] of buckets) if ((seen += count) >= p * records) return (bucket + 1) * bucketMs;
    return Number.NaN;
  };
  return { records, p50: at(0.5), p99: at(0.99), p999: at(0.999), max: at(1) };
}

function latencyOf(mode: string, rate: number, dir: string): Latency {
  const summaries = sinkSummaries(dir);
  const records = summaries.reduce((n, s) => n + s.records, 0);
  const span = (Math.max(...summaries.map((s) => s.lastAt)) - Math.min(...summaries.map((s) => s.firstAt))) / 1000;
  const bucketMs = summaries[0]!.bucketMs;
  const local = summaries.map((s) => s.latency.local);
  const remote = summaries.map((s) => s.latency.remote);
  return {
    mode,
    rate,
    achievedRate: records / span,
    all: percentiles([...local, ...remote], bucketMs),
    remote: percentiles(remote, bucketMs),
    local: percentiles(local, bucketMs),
  };
}

const LATENCY_WARMUP_MS = 2000;
const timedArgs = (rate: number) => ['--rate', String(rate), '--warmup-ms', String(LATENCY_WARMUP_MS)];

function taskManagersLatency(rate: number, seconds: number): Promise<Latency> {
  return withDir(async (dir) => {
    const cluster = new Cluster(JOB_SPEC);
    try {
      await cluster.start([dir, String(rate * seconds), ...timedArgs(rate)], []);
      for (let i = 0; i < PARALLELISM; i++) await cluster.startTaskManager();
      const exit = await cluster.jobManager.exited;
      if (exit.code !== 0) throw new Error(`the JobManager exited with ${exit.code}:\n${cluster.jobManager.stderr}`);
      return latencyOf('JobManager + 2 TaskManagers', rate, dir);
    } finally {
      await cluster.stop();
    }
  });
}

function miniClusterLatency(rate: number, seconds: number): Promise<Latency> {
  return withDir(async (dir) => {
    const run = new BrookProcess('brook run', [
      'run',
      JOB,
      '--set',
      `job.parallelism=${PARALLELISM}`,
      '--',
      dir,
      String(rate * seconds),
      ...timedArgs(rate),
    ]);
    const exit = await run.exited;
    if (exit.code !== 0) throw new Error(`brook run exited with ${exit.code}:\n${run.stderr}`);
    return latencyOf('brook run (mini-cluster)', rate, dir);
  });
}

interface Recovery {
  rate: number;
  restoredCheckpoint: number | undefined;
  /** Seconds from the SIGKILL to each event. */
  replacementRegistered: number;
  restarting: number;
  runningAgain: number;
  /** Sink writers created, i.e. the tasks built, restored and opened: on the TaskManager that stayed, and on the new one. */
  survivorOpen: number;
  replacementOpen: number;
  firstRecord: number;
  everySinkSubtask: number;
  firstCheckpoint: number;
}

/**
 * Kills one of two TaskManagers with SIGKILL while the job runs at `rate` with
 * checkpoints every 500 ms, starts a replacement at once, and times the way back.
 */
function recoveryAfterKill(rate: number): Promise<Recovery> {
  return withDir(async (dir) => {
    const cluster = new Cluster(JOB_SPEC);
    const settings = [
      'checkpoints.interval=500',
      `checkpoints.dir=file://${dir}/checkpoints`,
      'restartStrategy.type=fixed-delay',
      'restartStrategy.delay=1s',
    ];
    try {
      const stats = join(dir, 'stats');
      mkdirSync(stats);
      // Bounded so nothing runs on if the benchmark is interrupted; it is stopped long before the end.
      await cluster.start([stats, String(rate * 120), '--rate', String(rate)], settings);
      const watch = new JobWatch(cluster.restUrl, cluster.jobId, { everyMs: 50 });
      for (let i = 0; i < PARALLELISM; i++) await cluster.startTaskManager();
      await waitFor(() => (watch.checkpoints?.counts.completed ?? 0) >= 2, 'two completed checkpoints', 30_000);
      await sleep(1000);
      const killedAt = Date.now();
      await cluster.taskManagers[1]!.kill('SIGKILL');
      const registered = cluster.startTaskManager().then(() => Date.now());
      const since = (t: number | undefined) => (t === undefined || t < killedAt ? Number.NaN : (t - killedAt) / 1000);
      const newWriters = () => progressLines(stats).filter((p) => p.createdAt > killedAt);
      const firstPerSubtask = () => {
        const first = new Map<string, number>();
        for (const p of newWriters()) first.set(p.writer, Math.min(first.get(p.writer) ?? Infinity, p.t));
        return [...first.values()];
      };
      const runningAgain = () =>
        (watch.details?.timestamps.RUNNING ?? 0) > killedAt && watch.details?.state === 'RUNNING';
      const checkpointAgain = () =>
        runningAgain() &&
        (watch.checkpoints?.latest.completed?.trigger_timestamp ?? 0) > watch.details!.timestamps.RUNNING!;
      await waitFor(
        () => checkpointAgain() && firstPerSubtask().length >= PARALLELISM,
        'records and a checkpoint after the restart',
        30_000,
      );
      await watch.stop();
      const first = firstPerSubtask();
      const openedIn = (tm: BrookProcess) =>
        Math.min(
          ...newWriters()
            .filter((p) => p.writer.startsWith(`${tm.child.pid}-`))
            .map((p) => p.createdAt),
        );
      return {
        rate,
        restoredCheckpoint: watch.checkpoints?.latest.restored?.id,
        replacementRegistered: since(await registered),
        restarting: since(watch.details!.timestamps.RESTARTING),
        runningAgain: since(watch.details!.timestamps.RUNNING),
        survivorOpen: since(openedIn(cluster.taskManagers[0]!)),
        replacementOpen: since(openedIn(cluster.taskManagers[2]!)),
        firstRecord: since(Math.min(...first)),
        everySinkSubtask: since(Math.max(...first)),
        firstCheckpoint: since(watch.checkpoints!.latest.completed!.latest_ack_timestamp),
      };
    } catch (error) {
      console.error(cluster.jobManager?.stderr, ...cluster.taskManagers.map((tm) => tm.stderr));
      throw error;
    } finally {
      await cluster.stop();
    }
  });
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const records = Number(flag('records', '3000000'));
  const rate = Number(flag('rate', '20000'));
  const latencySeconds = Number(flag('latency-seconds', '12'));
  const scenarios = flag('scenarios', 'throughput,latency,recovery').split(',');
  const cpuProf = process.argv.includes('--cpu-prof') ? flag('cpu-prof', '') : undefined;
  if (cpuProf) mkdirSync(cpuProf, { recursive: true });
  // The processes share the machine with whatever else runs: the load says how much of it they had.
  const machine = { cores: cpus().length, cpu: cpus()[0]?.model, node: process.version, loadBefore: loadavg()[0]! };
  console.log(
    `${machine.cores} cores (${machine.cpu}), Node ${machine.node}, load average ${machine.loadBefore.toFixed(1)}`,
  );
  const result: Record<string, unknown> = { benchmark: 'distributed', machine };

  if (scenarios.includes('throughput')) {
    const distributed = await taskManagersThroughput(records, 'msgpack', { cpuProfDir: cpuProf });
    const v8 = await taskManagersThroughput(records, 'v8');
    const encrypted = await taskManagersThroughput(records, 'msgpack', { secret: randomBytes(24).toString('hex') });
    const mini = await miniClusterThroughput(records);
    result.throughput = [distributed, v8, encrypted, mini];
    console.log('\nthroughput: generator -> keyBy (10,000 keys) -> running count per key -> discard, parallelism 2');
    console.log(
      'mode | records | RUNNING->FINISHED s | records/s per process | records/CPU-s | on CPU | waiting for a CPU | steady s | steady records/s per process | steady records/CPU-s',
    );
    console.log('---|---|---|---|---|---|---|---|---|---');
    const pct = (share: number) => `${Math.round(share * 100)} %`;
    for (const t of [distributed, v8, encrypted, mini]) {
      console.log(
        `${t.mode} | ${fmt(t.records)} | ${t.seconds.toFixed(2)} | ${fmt(t.recordsPerSecondPerProcess)} | ${fmt(t.recordsPerCpuSecond)} | ${pct(t.cpuShare)} | ${pct(t.waitingShare)} | ${t.steadySeconds.toFixed(2)} | ${fmt(t.steadyPerProcess)} | ${fmt(t.steadyPerCpuSecond)}`,
      );
    }
    const ratio = (a: number, b: number) => (a / b).toFixed(2);
    console.log(
      `ratio TaskManagers / brook run: records/CPU-s ${ratio(distributed.recordsPerCpuSecond, mini.recordsPerCpuSecond)}, steady ${ratio(distributed.steadyPerCpuSecond, mini.steadyPerCpuSecond)}`,
    );
    console.log(
      `ratio msgpack (default) / node:v8 codec: records/CPU-s ${ratio(distributed.recordsPerCpuSecond, v8.recordsPerCpuSecond)}, steady ${ratio(distributed.steadyPerCpuSecond, v8.steadyPerCpuSecond)}`,
    );
    console.log(
      `ratio encrypted (TLS 1.3) / plain: records/CPU-s ${ratio(encrypted.recordsPerCpuSecond, distributed.recordsPerCpuSecond)}, steady ${ratio(encrypted.steadyPerCpuSecond, distributed.steadyPerCpuSecond)}`,
    );
    // One core per TaskManager: its records per CPU-second is what it would do per second with a core of its own.
    console.log(
      `per TaskManager (default codec) vs target (${fmt(TARGET_PER_TASK_MANAGER)}/s): wall clock ${ratio(distributed.recordsPerSecondPerProcess, TARGET_PER_TASK_MANAGER)}x (steady ${ratio(distributed.steadyPerProcess, TARGET_PER_TASK_MANAGER)}x), per CPU-second ${ratio(distributed.recordsPerCpuSecond, TARGET_PER_TASK_MANAGER)}x (steady ${ratio(distributed.steadyPerCpuSecond, TARGET_PER_TASK_MANAGER)}x)`,
    );
  }

  if (scenarios.includes('latency')) {
    const distributed = await taskManagersLatency(rate, latencySeconds);
    const mini = await miniClusterLatency(rate, latencySeconds);
    result.latency = [distributed, mini];
    console.log(
      `\nend-to-end latency at ${fmt(rate)} records/s for ${latencySeconds} s (first ${LATENCY_WARMUP_MS} ms left out)`,
    );
    console.log('mode | records | achieved records/s | records measured | p50 ms | p99 ms | p99.9 ms | max ms');
    console.log('---|---|---|---|---|---|---|---');
    const row = (mode: string, which: string, l: Latency, p: Percentiles) =>
      console.log(
        `${mode} | ${which} | ${fmt(l.achievedRate)} | ${fmt(p.records)} | ${p.p50.toFixed(2)} | ${p.p99.toFixed(2)} | ${p.p999.toFixed(2)} | ${p.max.toFixed(1)}`,
      );
    row(distributed.mode, 'all', distributed, distributed.all);
    row(distributed.mode, 'across processes', distributed, distributed.remote);
    row(distributed.mode, 'within a TaskManager', distributed, distributed.local);
    row(mini.mode, 'all', mini, mini.all);
    console.log(
      `ratio TaskManagers / brook run: p50 ${(distributed.all.p50 / mini.all.p50).toFixed(2)}, p99 ${(distributed.all.p99 / mini.all.p99).toFixed(2)}`,
    );
  }

  if (scenarios.includes('recovery')) {
    const r = await recoveryAfterKill(rate);
    result.recovery = r;
    console.log(
      `\nrecovery: SIGKILL of 1 of 2 TaskManagers at ${fmt(rate)} records/s, checkpoints every 500 ms, restart delay 1 s`,
    );
    console.log('event | seconds after the kill');
    console.log('---|---');
    console.log(`replacement TaskManager registered | ${r.replacementRegistered.toFixed(2)}`);
    console.log(`job RESTARTING | ${r.restarting.toFixed(2)}`);
    console.log(`job RUNNING again (checkpoint ${r.restoredCheckpoint} restored) | ${r.runningAgain.toFixed(2)}`);
    console.log(`tasks open again on the TaskManager that stayed | ${r.survivorOpen.toFixed(2)}`);
    console.log(`tasks open on the replacement TaskManager | ${r.replacementOpen.toFixed(2)}`);
    console.log(`first record at a sink | ${r.firstRecord.toFixed(2)}`);
    console.log(`records at every sink subtask | ${r.everySinkSubtask.toFixed(2)}`);
    console.log(`first checkpoint completed | ${r.firstCheckpoint.toFixed(2)}`);
    console.log(
      `vs target (${TARGET_RECOVERY_S} s, to records at every sink subtask): ${(r.everySinkSubtask / TARGET_RECOVERY_S).toFixed(2)}x`,
    );
  }
  console.log(`\nload average at the end: ${loadavg()[0]!.toFixed(1)}`);
  console.log(JSON.stringify({ ...result, loadAfter: loadavg()[0] }));
}

await main();
