// Exactly-once through kill -9: `brook run` of Kafka -> running count per key
// -> Kafka (exactly-once) is SIGKILLed at random moments while input still
// arrives, and started again each time with the same job id, so it resumes
// from its newest checkpoint (the last time at parallelism 1). A read_committed consumer must then see every
// `key:n` that an independent count over the input predicts, each once.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { endpoints, ensureServices } from '../../../scripts/testenv/index.ts';
import { SeededRandom } from '../random.ts';
import { countOf, KafkaTestCluster, runningCountInput } from './testing.ts';

const repository = join(import.meta.dirname, '..', '..', '..');
const brokers = [...endpoints.kafka.bootstrapBrokers];
const root = mkdtempSync(join(tmpdir(), 'brook-kafka-kill-'));
let cluster: KafkaTestCluster;
const children = new Set<ChildProcess>();

before(async () => {
  await ensureServices('kafka');
  cluster = new KafkaTestCluster(brokers);
});
after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await cluster.close();
  rmSync(root, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  stderr: string;
  running: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startJob(args: string[]): Run {
  const child = spawn(process.execPath, [join(repository, 'bin', 'brook.js'), ...args], {
    cwd: repository,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(child);
  const run: Run = {
    child,
    stderr: '',
    running: Promise.resolve(),
    exited: Promise.resolve({ code: 0, signal: null }),
  };
  run.running = new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      run.stderr += chunk.toString();
      if (/running job/.test(run.stderr)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`brook run exited (${code}) before running:\n${run.stderr}`)));
  });
  run.exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  run.running.catch(() => {});
  return run;
}

/** Records written to `topic` so far, committed, aborted or still open (the sum of its log end offsets). */
async function writtenTo(topic: string): Promise<number> {
  const ends = await cluster.endOffsets(topic, 'read_uncommitted');
  return ends.reduce((sum, offset) => sum + Number(offset), 0);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The id of the newest complete checkpoint (one with a `_metadata`) of `jobId`; 0 when none. */
function newestCheckpoint(jobId: string): number {
  const directory = join(root, 'checkpoints', jobId);
  if (!existsSync(directory)) return 0;
  const complete = readdirSync(directory).filter((name) => existsSync(join(directory, name, '_metadata')));
  return Math.max(0, ...complete.map((name) => Number(name.replace('chk-', ''))));
}

test(
  'kill -9 of the job process at random moments, three times, loses and repeats nothing in the exactly-once Kafka output',
  { timeout: 240_000 },
  async () => {
    const input = await cluster.createTopic('kill-in', 3);
    const output = await cluster.createTopic('kill-out', 2);
    const { records, expected } = runningCountInput(input, 9000, 20, 20261201);
    // Where in each run the kill lands.
    const random = new SeededRandom().reset(20261201);

    // Input arrives in four segments, each produced slowly while one run reads it, so every kill lands
    // while records flow and transactions are open.
    const segments = [0, 1, 2, 3].map((k) => records.slice(k * 2250, (k + 1) * 2250));
    const produceSlowly = async (segment: typeof records) => {
      for (let i = 0; i < segment.length; i += 150) {
        await cluster.produce(segment.slice(i, i + 150));
        await sleep(100);
      }
    };

    const jobId = randomBytes(16).toString('hex');
    const args = [
      'run',
      join('runtime', 'connectors', 'kafka', 'fixtures', 'keyed-count-job.ts'),
      '--parallelism',
      '2',
      '--set',
      `pipeline.job-id=${jobId}`,
      '--set',
      'execution.checkpointing.interval=200',
      '--set',
      `state.checkpoints.dir=file://${root}/checkpoints`,
      '--',
      brokers.join(','),
      input,
      output,
      `kill-${jobId.slice(0, 8)}`,
    ];
    const logs: string[] = [];
    for (let kill = 0; kill < 3; kill++) {
      const run = startJob(args);
      await run.running;
      const producing = produceSlowly(segments[kill]!);
      const before = await writtenTo(output);
      const restored = newestCheckpoint(jobId);
      // Killed once this run has written (committed or not) and completed a checkpoint of its own (small sink
      // batches reach the broker long before the first one under load), and then a random while later.
      const deadline = Date.now() + 60_000;
      const killable = async () => (await writtenTo(output)) > before && newestCheckpoint(jobId) > restored;
      while (!(await killable()) && Date.now() < deadline) await sleep(50);
      await sleep(random.int(0, 1500));
      run.child.kill('SIGKILL');
      await producing;
      const exit = await run.exited;
      assert.equal(exit.signal, 'SIGKILL', `the job ended before it was killed:\n${run.stderr}`);
      logs.push(run.stderr);
    }
    // The last start is rescaled to one instance: ids of subtask 1 are never reused, so only the
    // aborter's probe can end what the killed runs left open there.
    const last = startJob(args.map((arg, i) => (args[i - 1] === '--parallelism' ? '1' : arg)));
    await last.running;
    await produceSlowly(segments[3]!);
    const committed = await cluster.readCommitted(output, expected.length, 120_000, 2000);
    last.child.kill('SIGTERM');
    const exit = await Promise.race([last.exited, sleep(30_000).then(() => undefined)]);
    if (!exit) last.child.kill('SIGKILL');
    logs.push(last.stderr);

    const counts = countOf(committed.map((r) => r.value));
    const duplicates = [...counts].filter(([, n]) => n > 1).map(([v]) => v);
    const missing = expected.filter((v) => !counts.has(v));
    assert.deepEqual(
      { duplicates: duplicates.slice(0, 5), missing: missing.slice(0, 5), total: committed.length },
      { duplicates: [], missing: [], total: expected.length },
      logs.join('\n----\n').slice(-4000),
    );
    for (const r of committed) assert.equal(r.key, r.value.split(':')[0], 'each record keyed by its key');
    assert.equal(await cluster.hasOpenTransactions(output), false, 'a transaction is still open');
    // Every restarted process continued from a checkpoint rather than starting over.
    const resumed = logs.filter((log) => /restoring job 'keyed-count-job' from checkpoint/.test(log)).length;
    assert.equal(resumed, 3, `only ${resumed} of the restarts resumed from a checkpoint`);
  },
);
