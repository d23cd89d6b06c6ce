// The exactly-once Kafka job (Kafka in -> running count per key -> Kafka out
// in transactions) with a JobManager and three TaskManagers as processes: a
// TaskManager killed with SIGKILL mid-stream and a replacement started, then
// the JobManager killed and started again; a read_committed reader of the
// output sees every count once, as computed independently over the input.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { KafkaTestCluster, runningCountInput } from '../connectors/kafka/testing.ts';
import { ProcessCluster } from '../testing/process-cluster.ts';
import { waitUntil } from '../testing/wait-until.ts';
import { endpoints, ensureServices } from '../../scripts/testenv/index.ts';

const JOB = new URL('../connectors/kafka/fixtures/keyed-count-job.ts', import.meta.url).pathname;
let cluster: KafkaTestCluster;
let root: string;

before(async () => {
  await ensureServices('kafka');
  cluster = new KafkaTestCluster([...endpoints.kafka.bootstrapBrokers]);
  root = await mkdtemp(join(tmpdir(), 'brook-kafka-processes-'));
});

after(async () => {
  await cluster.close();
  await rm(root, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function checkpointsOf(jobId: string): number {
  const directory = join(root, 'checkpoints', jobId);
  if (!existsSync(directory)) return 0;
  return readdirSync(directory).filter((name) => existsSync(join(directory, name, '_metadata'))).length;
}

test(
  'exactly-once Kafka output across three TaskManager processes, through a TaskManager kill and a JobManager kill',
  { timeout: 300_000 },
  async () => {
    const input = await cluster.createTopic('processes-in', 3);
    const output = await cluster.createTopic('processes-out', 2);
    const { records, expected } = runningCountInput(input, 6000, 30, 20261202);
    // Produced slowly in the background, so that both kills land while records flow.
    let produced = 0;
    const producing = (async () => {
      for (let i = 0; i < records.length; i += 200) {
        await cluster.produce(records.slice(i, i + 200));
        produced = i + 200;
        await sleep(150);
      }
    })();

    const jobId = randomBytes(16).toString('hex');
    const processes = new ProcessCluster();
    const startJobManager = () =>
      processes.startJobManager({
        flags: ['--job', JOB],
        settings: [
          'job.parallelism=3',
          `job.id=${jobId}`,
          'cluster.heartbeatInterval=200',
          'cluster.heartbeatTimeout=3000',
          'checkpoints.interval=300',
          `checkpoints.dir=file://${root}/checkpoints`,
          'restartStrategy.type=fixed-delay',
          'restartStrategy.delay=300',
        ],
        jobArgs: [endpoints.kafka.bootstrapBrokers.join(','), input, output, `processes-${jobId.slice(0, 8)}`],
      });
    const startTaskManagers = (count: number) => {
      for (let i = 0; i < count; i++) processes.startTaskManager();
    };
    try {
      const first = await startJobManager();
      startTaskManagers(3);
      await waitUntil(() => checkpointsOf(jobId) > 0 && produced >= 1000, 'a checkpoint while records flow', 60_000);
      await processes.taskManagers[0]!.kill('SIGKILL');
      startTaskManagers(1);
      await first.waitFor(/deploying attempt 2/, 60_000);
      const afterRestart = checkpointsOf(jobId);
      await waitUntil(
        () => checkpointsOf(jobId) > afterRestart && produced >= 3000,
        'progress after the restart',
        60_000,
      );
      // The JobManager goes; a new one (with new TaskManagers on its new port) resumes the job by its id.
      await processes.stop();
      const second = await startJobManager();
      startTaskManagers(3);
      await second.waitFor(/resuming job [0-9a-f]+ from checkpoint/, 60_000);
      await producing;
      const committed = await cluster.readCommitted(output, expected.length, 120_000, 2000);
      const counts = new Map<string, number>();
      for (const r of committed) counts.set(r.value, (counts.get(r.value) ?? 0) + 1);
      const duplicates = [...counts].filter(([, n]) => n > 1).map(([v]) => v);
      const missing = expected.filter((v) => !counts.has(v));
      assert.deepEqual(
        { duplicates: duplicates.slice(0, 5), missing: missing.slice(0, 5), total: committed.length },
        { duplicates: [], missing: [], total: expected.length },
        processes.logs().slice(-6000),
      );
    } finally {
      await processes.stop();
    }
  },
);
