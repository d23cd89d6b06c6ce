// What the failure scenarios (TaskManager and JobManager loss, broken upgrades,
// the operator killed mid-upgrade) share on top of brook-install.ts: the
// running-count job as a StreamDeployment, its Kafka input produced while the
// scenario runs, the independent check of its exactly-once output, savepoints
// counted in S3, and the resource's lifecycle and Events as they happen.
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { KafkaTestCluster } from '../../runtime/connectors/kafka/testing.ts';
import { runningCountInput } from '../../runtime/connectors/kafka/testing.ts';
import { endpoints, kubectl, succeeded } from '../../scripts/testenv/index.ts';
import type { BrookInstall, StreamDeploymentObject } from './brook-install.ts';

/** The job modules as the pods see them (the Brook image is this tree at /opt/brook). */
export const countJobEntry = '/opt/brook/e2e/scenarios/jobs/failures-count.ts';
export const brokenCountJobEntry = '/opt/brook/e2e/scenarios/jobs/failures-broken-count.ts';
/** The Secret with testenv's S3 credentials that the JobManager and TaskManager pods read. */
const jobS3Secret = 'failures-job-s3';

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
export const since = (start: number) => seconds(Date.now() - start);

/**
 * The count job's input, produced a chunk at a time while the scenario acts (so every failure lands
 * while records flow), and its expected output computed from the input alone: key k's n-th record
 * yields "k:n".
 */
export class CountingStream {
  produced = 0;
  private stopping = false;
  private producing: Promise<void> | undefined;
  private sampling: Promise<void> | undefined;
  private readonly records: { topic: string; key: string; value: string }[];
  readonly expected: string[];

  constructor(
    private readonly kafka: KafkaTestCluster,
    readonly input: string,
    readonly output: string,
    readonly transactionalIdPrefix: string,
    total: number,
    seed: number,
  ) {
    ({ records: this.records, expected: this.expected } = runningCountInput(input, total, 24, seed));
  }

  static async create(kafka: KafkaTestCluster, label: string, total: number, seed: number): Promise<CountingStream> {
    const input = await kafka.createTopic(`${label}-in`, 2);
    const output = await kafka.createTopic(`${label}-out`, 2);
    return new CountingStream(kafka, input, output, output, total, seed);
  }

  /** job.args of the count job; `labels` change the spec without changing the graph. */
  args(...labels: string[]): string[] {
    return [endpoints.kafka.bootstrapBrokers.join(','), this.input, this.output, this.transactionalIdPrefix, ...labels];
  }

  /**
   * Produces `chunk` records every `everyMs` until finish() or the input runs out, and meanwhile
   * samples the output's committed end offsets (see outputGap).
   */
  start(chunk = 40, everyMs = 250): void {
    this.producing ??= (async () => {
      while (!this.stopping && this.produced < this.records.length) {
        const next = this.records.slice(this.produced, this.produced + chunk);
        await this.kafka.produce(next);
        this.produced += next.length;
        await delay(everyMs);
      }
    })();
    this.sampling ??= this.sampleOutput();
  }

  /** When the output's committed record count was seen to grow (sampled every 100 ms while records flow). */
  private readonly outputGrew: number[] = [];

  private async sampleOutput(): Promise<void> {
    let last = 0n;
    // Bounded by finish() and by the input running out; each round is one ListOffsets request.
    while (!this.stopping && this.produced < this.records.length) {
      const offsets = await this.kafka.endOffsets(this.output, 'read_committed').catch(() => undefined);
      const total = offsets?.reduce((a, b) => a + b, 0n) ?? last;
      if (total > last) this.outputGrew.push(Date.now());
      last = total;
      await delay(100);
    }
  }

  /**
   * The longest time between `from` and `to` (ms since the epoch) in which no output was committed,
   * as a reader of the output sees a failure or an upgrade: the downtime, to within the 100 ms sampling.
   */
  outputGap(from: number, to: number): number {
    const times = [from, ...this.outputGrew.filter((t) => t > from && t < to), to];
    let longest = 0;
    for (let i = 1; i < times.length; i++) longest = Math.max(longest, times[i]! - times[i - 1]!);
    return longest;
  }

  /** Produces the rest of the input at once. */
  async finish(): Promise<void> {
    this.stopping = true;
    await Promise.all([this.producing, this.sampling]);
    await this.kafka.produce(this.records.slice(this.produced));
    this.produced = this.records.length;
  }

  /**
   * Reads the output with an independent read_committed reader and checks it against the input:
   * every count exactly once (none lost, none repeated, none reset). Returns how many it read.
   */
  async verify(context: () => string): Promise<number> {
    const committed = await this.kafka.readCommitted(this.output, this.expected.length, 180_000, 3000);
    const counts = new Map<string, number>();
    for (const r of committed) counts.set(r.value, (counts.get(r.value) ?? 0) + 1);
    const duplicates = [...counts].filter(([, n]) => n > 1).map(([v]) => v);
    const missing = this.expected.filter((v) => !counts.has(v));
    const wanted = new Set(this.expected);
    const unexpected = [...counts.keys()].filter((v) => !wanted.has(v));
    assert.deepEqual(
      {
        duplicates: duplicates.slice(0, 5),
        missing: missing.slice(0, 5),
        unexpected: unexpected.slice(0, 5),
        total: committed.length,
      },
      { duplicates: [], missing: [], unexpected: [], total: this.expected.length },
      `exactly-once output of ${this.output} (${missing.length} missing, ${duplicates.length} repeated)\n${context()}`,
    );
    return committed.length;
  }
}

export interface CountDeploymentOptions {
  name: string;
  stream: CountingStream;
  bucket: string;
  taskManagers: number;
  /** spec.config entries added to (or replacing) the defaults below. */
  config?: Record<string, string>;
  job?: Record<string, unknown>;
}

/** The S3 prefix of a deployment's savepoints. */
export const savepointsPrefix = (name: string) => `${name}/savepoints/`;

/** A StreamDeployment of the count job with testenv's S3, fast checkpoints and a short stability window. */
export function countDeployment(o: CountDeploymentOptions): Record<string, unknown> {
  const withS3 = (container: string) => ({
    spec: { containers: [{ name: container, envFrom: [{ secretRef: { name: jobS3Secret } }] }] },
  });
  return {
    apiVersion: 'brook.dev/v1beta1',
    kind: 'StreamDeployment',
    metadata: { name: o.name },
    spec: {
      image: 'brook:dev',
      config: {
        'state.checkpoints.dir': `s3://${o.bucket}/${o.name}/checkpoints`,
        'state.savepoints.dir': `s3://${o.bucket}/${savepointsPrefix(o.name)}`.replace(/\/$/, ''),
        's3.endpoint': endpoints.s3.endpoint,
        'execution.checkpointing.interval': '1s',
        // A checkpoint overtaken on a loaded machine must not fail the job: that is not under test.
        'execution.checkpointing.tolerable-failed-checkpoints': '10',
        'restart-strategy.type': 'fixed-delay',
        'restart-strategy.fixed-delay.attempts': '3',
        'restart-strategy.fixed-delay.delay': '1000',
        // A killed TaskManager is noticed by its missed heartbeats, not after Brook's default timeout.
        'heartbeat.interval': '500',
        'heartbeat.timeout': '5000',
        // Stable after 5 s without a restart instead of a minute: the claims are the same, the waits shorter.
        'kubernetes.operator.deployment.stability.window': '5s',
        ...o.config,
      },
      jobManager: { resource: { cpu: '500m', memory: '512Mi' }, podTemplate: withS3('jobmanager') },
      taskManager: {
        replicas: o.taskManagers,
        resource: { cpu: '500m', memory: '512Mi' },
        podTemplate: withS3('taskmanager'),
      },
      job: { entry: countJobEntry, args: o.stream.args(), upgradeMode: 'savepoint', ...o.job },
    },
  };
}

/** Creates the jobs' S3 Secret (once per namespace) and applies the resource. */
export function applyCountDeployment(install: BrookInstall, resource: Record<string, unknown>): void {
  const { namespace } = install;
  if (kubectl(['get', 'secret', jobS3Secret, '--namespace', namespace]).status !== 0) {
    succeeded(
      'kubectl create secret',
      kubectl([
        'create',
        'secret',
        'generic',
        jobS3Secret,
        '--namespace',
        namespace,
        `--from-literal=AWS_ACCESS_KEY_ID=${endpoints.s3.credentials.accessKeyId}`,
        `--from-literal=AWS_SECRET_ACCESS_KEY=${endpoints.s3.credentials.secretAccessKey}`,
      ]),
    );
  }
  succeeded('kubectl apply', kubectl(['apply', '--namespace', namespace, '-f', '-'], JSON.stringify(resource)));
}

/** A merge patch of the resource's spec, as `kubectl patch --type merge` sends it. */
export function patchSpec(install: BrookInstall, name: string, spec: Record<string, unknown>): void {
  succeeded(
    'kubectl patch',
    kubectl([
      'patch',
      'streamdeployment',
      name,
      '--namespace',
      install.namespace,
      '--type=merge',
      '-p',
      JSON.stringify({ spec }),
    ]),
  );
}

export const isStable = (sd: StreamDeploymentObject) =>
  sd.status?.lifecycleState === 'STABLE' &&
  sd.status.observedGeneration === sd.metadata.generation &&
  sd.status.jobStatus?.state === 'RUNNING';

/** Paths (relative to the bucket) of the savepoints in `prefix`: the directories holding a `_metadata`. */
export async function savepointsInStorage(bucket: string, prefix: string): Promise<string[]> {
  const client = new S3Client(endpoints.s3);
  try {
    const found: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) {
        if (o.Key?.endsWith('/_metadata')) found.push(o.Key.slice(0, -'/_metadata'.length));
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return found.sort();
  } finally {
    client.destroy();
  }
}

/** The resource's Events as `reason: message`, oldest first. */
export async function eventsOf(install: BrookInstall, name: string): Promise<string[]> {
  const events = await install.core.listNamespacedEvent({
    namespace: install.namespace,
    fieldSelector: `involvedObject.kind=StreamDeployment,involvedObject.name=${name}`,
  });
  const time = (e: (typeof events.items)[number]) =>
    new Date(e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? 0).getTime();
  return events.items.sort((a, b) => time(a) - time(b)).map((e) => `${e.reason}: ${e.message}`);
}

/** The pods of one component (jobmanager, taskmanager) of a resource. */
export async function podsOf(install: BrookInstall, name: string, component: 'jobmanager' | 'taskmanager') {
  const pods = await install.core.listNamespacedPod({
    namespace: install.namespace,
    labelSelector: `app.kubernetes.io/instance=${name},app.kubernetes.io/component=${component}`,
  });
  return pods.items;
}

/**
 * Polls the resource every `everyMs` (faster than waitForStreamDeployment, for steps that last a moment)
 * until `accept` holds; bounded by `timeoutMs`.
 */
export async function pollStreamDeployment(
  install: BrookInstall,
  name: string,
  accept: (sd: StreamDeploymentObject) => boolean | Promise<boolean>,
  what: string,
  timeoutMs: number,
  everyMs = 50,
): Promise<StreamDeploymentObject> {
  const deadline = Date.now() + timeoutMs;
  let last: StreamDeploymentObject | undefined;
  while (Date.now() < deadline) {
    last = await install.streamDeployment(name);
    if (last && (await accept(last))) return last;
    await delay(everyMs);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting until ${what}\nstatus: ${JSON.stringify(last?.status, null, 1)}\n${install.diagnostics()}`,
  );
}

/** Records every lifecycle state the resource passes through, polling until stop(); bounded by `maxMs`. */
export function recordLifecycle(install: BrookInstall, name: string, maxMs = 300_000) {
  const seen: string[] = [];
  let stopped = false;
  const deadline = Date.now() + maxMs;
  const loop = (async () => {
    while (!stopped && Date.now() < deadline) {
      const state = (await install.streamDeployment(name).catch(() => undefined))?.status?.lifecycleState;
      if (state !== undefined && seen.at(-1) !== state) seen.push(state);
      await delay(50);
    }
  })();
  return {
    seen,
    async stop(): Promise<string[]> {
      stopped = true;
      await loop;
      return seen;
    },
  };
}
