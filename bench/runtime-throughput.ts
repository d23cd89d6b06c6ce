// Runtime throughput on the local mini-cluster: a stateless chain and a keyed
// tumbling-window count, each at parallelism 1 and 2. Every scenario runs in
// its own process so peak memory is its own. Prints a table and JSON.
//
//   node --import tsx bench/runtime-throughput.ts [--records N]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { StreamEnvironment, TumblingEventTimeWindows, forBoundedOutOfOrderness } from '../runtime/index.ts';

interface Scenario {
  name: string;
  parallelism: number;
  /** Builds the job; returns the figure the discard-like sink must have seen, to prove the work was done. */
  build(env: StreamEnvironment, records: number, seen: { total: number }): number;
}

/** Discards records but adds them up (numbers) so the benchmark can check nothing was skipped. */
function summingSink(seen: { total: number }) {
  return discardSinkThat((value: number) => (seen.total += value));
}

function discardSinkThat(onRecord: (value: number) => void) {
  return { createWriter: () => ({ write: onRecord }) };
}

interface Event {
  id: number;
  key: number;
  ts: number;
}

const KEYS = 10_000;
const EVENTS_PER_EVENT_TIME_SECOND = 100_000;

const scenarios: Scenario[] = [1, 2].flatMap((parallelism) => [
  {
    name: 'generator -> map -> filter -> discard',
    parallelism,
    build(env: StreamEnvironment, records: number, seen: { total: number }) {
      env
        .fromGenerator({ count: records, seed: 1, generate: (i) => i })
        .map((i) => i * 3)
        .filter((i) => i % 2 === 0)
        .map(() => 1)
        .sinkTo(summingSink(seen));
      return Math.ceil(records / 2);
    },
  },
  {
    name: 'generator -> keyBy(10k keys) -> 1 s tumbling count -> discard',
    parallelism,
    build(env: StreamEnvironment, records: number, seen: { total: number }) {
      env
        .fromGenerator<Event>(
          {
            count: records,
            seed: 1,
            generate: (i, random) => ({
              id: i,
              key: random.int(0, KEYS),
              ts: Math.floor((i * 1000) / EVENTS_PER_EVENT_TIME_SECOND),
            }),
          },
          forBoundedOutOfOrderness<Event>(0).withTimestampAssigner((e) => e.ts),
        )
        .keyBy((e) => e.key)
        .window(TumblingEventTimeWindows.of(1000))
        .count()
        .sinkTo(summingSink(seen));
      return records; // the window counts add up to every record
    },
  },
]);

interface Result {
  scenario: string;
  parallelism: number;
  records: number;
  seconds: number;
  cpuSeconds: number;
  recordsPerSecond: number;
  recordsPerCpuSecond: number;
  peakRssMiB: number;
}

async function runScenario(index: number, records: number): Promise<Result> {
  const scenario = scenarios[index]!;
  const env = new StreamEnvironment().setParallelism(scenario.parallelism);
  const seen = { total: 0 };
  const expected = scenario.build(env, records, seen);
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  await env.execute(scenario.name);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  if (seen.total !== expected) throw new Error(`${scenario.name}: the sink saw ${seen.total}, expected ${expected}`);
  return {
    scenario: scenario.name,
    parallelism: scenario.parallelism,
    records,
    seconds,
    cpuSeconds,
    recordsPerSecond: records / seconds,
    recordsPerCpuSecond: records / cpuSeconds,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
}

function main(): void {
  const recordsFlag = process.argv.indexOf('--records');
  const records = recordsFlag > 0 ? Number(process.argv[recordsFlag + 1]) : 5_000_000;
  const results: Result[] = [];
  for (let i = 0; i < scenarios.length; i++) {
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', String(i), '--records', String(records)],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      },
    );
    if (child.status !== 0) throw new Error(`scenario ${i} failed: ${child.stderr}`);
    results.push(JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Result);
  }
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  console.log('scenario | parallelism | records | seconds | records/s | records/CPU-s | peak RSS MiB');
  console.log('---|---|---|---|---|---|---');
  for (const r of results) {
    console.log(
      `${r.scenario} | ${r.parallelism} | ${fmt(r.records)} | ${r.seconds.toFixed(2)} | ${fmt(r.recordsPerSecond)} | ${fmt(r.recordsPerCpuSecond)} | ${r.peakRssMiB.toFixed(0)}`,
    );
  }
  for (let i = 0; i + 1 < results.length; i += 1) {
    const a = results[i]!;
    const b = results.find((r) => r.scenario === a.scenario && r.parallelism === 2);
    if (a.parallelism === 1 && b) {
      console.log(`ratio p2/p1 records/s, ${a.scenario}: ${(b.recordsPerSecond / a.recordsPerSecond).toFixed(2)}`);
    }
  }
  console.log(JSON.stringify({ benchmark: 'runtime-throughput', results }));
}

const childFlag = process.argv.indexOf('--child');
if (childFlag > 0) {
  const recordsFlag = process.argv.indexOf('--records');
  const result = await runScenario(Number(process.argv[childFlag + 1]), Number(process.argv[recordsFlag + 1]));
  console.log(JSON.stringify(result));
} else {
  main();
}
