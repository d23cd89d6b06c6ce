// The fixture of the upgrade scenarios (2, 3, 4, 10 of the end-to-end issue):
// the labelled running-count job (jobs/labelled-count.ts) as a StreamDeployment
// in a Brook install, with its Kafka topics, its S3 bucket, its input flowing
// (counting-stream.ts), and readers of its exactly-once output and of the
// savepoints in the bucket.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { KafkaTestCluster, uniqueName } from '../../runtime/connectors/kafka/testing.ts';
import { endpoints, ensureServices, temporaryBucket } from '../../scripts/testenv/index.ts';
import { exactlyOnce, parseCountRecord, type CountRecord } from './count-checks.ts';
import { uniqueSuffix, useBrookInstall, type BrookInstall, type StreamDeploymentObject } from './brook-install.ts';
import { CountingStream } from './counting-stream.ts';
import {
  applyStreamDeployment,
  jobS3Secret,
  patchSpec,
  savepointsInStorage,
  savepointsPrefix,
  streamSnapshots,
  type StreamSnapshotObject,
} from './stream-deployment.ts';

/** The job as the pods see it (the Brook image is this tree at /opt/brook). */
export const JOB_ENTRY = '/opt/brook/e2e/scenarios/jobs/labelled-count.ts';
/** Input records the stream can send; far more than any scenario's run needs. */
const INPUT_CAPACITY = 200_000;

export interface DeploymentOptions {
  /** The job's label argument: which deployment wrote an output record. */
  label: string;
  upgradeMode: 'stateless' | 'savepoint' | 'last-state';
  taskManagers?: number;
  state?: 'running' | 'suspended';
  /** spec.config entries on top of the fixture's. */
  config?: Record<string, string>;
}

export interface CountingDeployment {
  install: BrookInstall;
  name: string;
  bucket: string;
  kafka: KafkaTestCluster;
  /** The job's input and output topics; the input is stopped after the file. */
  stream: CountingStream;
  /** The StreamDeployment for `options`, as kubectl applies it. */
  manifest(options: DeploymentOptions): object;
  /** `kubectl apply` of the manifest for `options`. */
  apply(options: DeploymentOptions): void;
  /** Starts the input, applies `options` and waits until the job is STABLE with a checkpoint. */
  startStable(options: DeploymentOptions, recordsPerSecond: number): Promise<StreamDeploymentObject>;
  /** A merge patch of the StreamDeployment's spec. */
  patch(spec: Record<string, unknown>): void;
  /** Every output record so far, once at least `count` are committed and the topic is quiet. */
  readOutput(count: number, timeoutMs?: number): Promise<CountRecord[]>;
  /** The output committed so far while the job runs: what a reader sees in `forMs`. */
  outputSoFar(forMs?: number): Promise<CountRecord[]>;
  /** Stops the input and reads the output, asserting that it holds every count of the input exactly once. */
  stopAndReadExactlyOnce(): Promise<{ expected: string[]; output: CountRecord[] }>;
  /** The savepoint directories (those with a `_metadata`) in the bucket, as `s3://` URIs. */
  savepointsInBucket(): Promise<string[]>;
  /** The StreamSnapshots of the namespace. */
  streamSnapshots(): Promise<StreamSnapshotObject[]>;
  /** Waits for the resource's status; on timeout the error has the status and the operator's log. */
  waitFor(
    accept: (sd: StreamDeploymentObject) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<StreamDeploymentObject>;
}

/** STABLE, with a checkpoint of the job that runs now. */
export const stableWithCheckpoint = (sd: StreamDeploymentObject) =>
  sd.status?.lifecycleState === 'STABLE' &&
  sd.status.jobStatus?.checkpointInfo?.lastCheckpoint?.jobId === sd.status.jobStatus?.jobId;

/**
 * A namespace with Brook installed (useBrookInstall) and everything the running-count job needs;
 * topics and bucket are removed after the file.
 */
export function useCountingDeployment(prefix: string, name = 'counts'): CountingDeployment {
  const install = useBrookInstall(prefix);
  const fixture = { install, name } as CountingDeployment;
  const transactionalIdPrefix = `e2e-counts-${uniqueSuffix()}`;
  let removeBucket: () => Promise<void> = async () => {};
  let output: string | undefined;

  before(async () => {
    await ensureServices('kafka', 's3');
    const kafka = new KafkaTestCluster([...endpoints.kafka.bootstrapBrokers]);
    const bucket = await temporaryBucket('brook-e2e');
    removeBucket = () => bucket.remove();
    const input = await kafka.createTopic(`${prefix}-in`, 3);
    // The broker stamps output records with their append time: the output gap is measured on its clock.
    output = uniqueName(`${prefix}-out`);
    await kafka.admin.createTopics({
      topics: [output],
      partitions: 2,
      replicas: 1,
      configs: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
    });
    const stream = new CountingStream(kafka, input, output, transactionalIdPrefix, INPUT_CAPACITY, 20260508);
    Object.assign(fixture, { kafka, bucket: bucket.name, stream });
  });

  after(async () => {
    await fixture.stream?.stop().catch(() => {}); // a test that failed midway left it running
    if (output) await fixture.kafka.admin.deleteTopics({ topics: [output] }).catch(() => {});
    await fixture.kafka?.close();
    await removeBucket().catch(() => {}); // a savepoint written while the namespace goes is not the test's concern
  });

  fixture.manifest = (options) => {
    const env = (container: string) => ({
      spec: { containers: [{ name: container, envFrom: [{ secretRef: { name: jobS3Secret } }] }] },
    });
    return {
      apiVersion: 'brook.dev/v1beta1',
      kind: 'StreamDeployment',
      metadata: { name, namespace: install.namespace },
      spec: {
        image: 'brook:0.1.0',
        config: {
          'state.checkpoints.dir': `s3://${fixture.bucket}/${name}/checkpoints`,
          'state.savepoints.dir': `s3://${fixture.bucket}/${name}/savepoints`,
          'execution.checkpointing.interval': '1s',
          's3.endpoint': endpoints.s3.endpoint,
          'restart-strategy.type': 'fixed-delay',
          'restart-strategy.fixed-delay.attempts': '10',
          'restart-strategy.fixed-delay.delay': '1s',
          // Stable after 3 s without a restart instead of a minute: the claim is the same, the wait shorter.
          'kubernetes.operator.deployment.stability.window': '3s',
          ...options.config,
        },
        jobManager: { resource: { cpu: '500m', memory: '512Mi' }, podTemplate: env('jobmanager') },
        taskManager: {
          replicas: options.taskManagers ?? 2,
          resource: { cpu: '500m', memory: '512Mi' },
          podTemplate: env('taskmanager'),
        },
        job: {
          entry: JOB_ENTRY,
          args: fixture.stream.args(options.label),
          upgradeMode: options.upgradeMode,
          state: options.state ?? 'running',
        },
      },
    };
  };

  fixture.apply = (options) => applyStreamDeployment(install, fixture.manifest(options));

  fixture.startStable = (options, recordsPerSecond) => {
    fixture.stream.start(recordsPerSecond);
    fixture.apply(options);
    return fixture.waitFor(stableWithCheckpoint, `${options.label} is STABLE with a checkpoint`, 180_000);
  };

  fixture.patch = (spec) => patchSpec(install, name, spec);

  const read = async (count: number, timeoutMs: number, quietMs: number) => {
    const records = await fixture.kafka.readCommitted(fixture.stream.output, count, timeoutMs, quietMs);
    return records.map((r) => {
      if (r.appendTime === undefined)
        throw new Error(`${fixture.stream.output} has no append times: not LogAppendTime`);
      return parseCountRecord(r.value, Number(r.appendTime), Number(r.timestamp));
    });
  };
  fixture.readOutput = (count, timeoutMs = 120_000) => read(count, timeoutMs, 2000);
  // With input flowing the topic is never quiet: the reader stops at its deadline.
  fixture.outputSoFar = (forMs = 5000) => read(Number.MAX_SAFE_INTEGER, forMs, forMs);

  fixture.stopAndReadExactlyOnce = async () => {
    const expected = await fixture.stream.stop();
    const output = await fixture.readOutput(expected.length);
    const report = exactlyOnce(expected, output);
    assert.deepEqual(
      {
        duplicates: report.duplicates.slice(0, 5),
        missing: report.missing.slice(0, 5),
        unexpected: report.unexpected.slice(0, 5),
      },
      { duplicates: [], missing: [], unexpected: [] },
      `${expected.length} records in, ${output.length} out`,
    );
    return { expected, output };
  };

  fixture.savepointsInBucket = async () =>
    (await savepointsInStorage(fixture.bucket, savepointsPrefix(name))).map((p) => `s3://${fixture.bucket}/${p}`);

  fixture.streamSnapshots = () => streamSnapshots(install);

  fixture.waitFor = (accept, what, timeoutMs) => install.waitForStreamDeployment(name, accept, what, timeoutMs);

  return fixture;
}
