// The fixture of the upgrade scenarios (2, 3, 4, 10 of the end-to-end issue):
// the labelled running-count job (jobs/labelled-count.ts) as a StreamDeployment
// in a Brook install, with its Kafka topics, its S3 bucket, a steady input feed,
// and readers of its exactly-once output and of the savepoints in the bucket.
import { after, before } from 'node:test';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { Producer, stringSerializers } from '@platformatic/kafka';
import { KafkaTestCluster, runningCountInput, uniqueName } from '../../runtime/connectors/kafka/testing.ts';
import { endpoints, ensureServices, kubectl, succeeded, temporaryBucket } from '../../scripts/testenv/index.ts';
import { parseCountRecord, type CountRecord } from './count-checks.ts';
import { uniqueSuffix, useBrookInstall, type BrookInstall, type StreamDeploymentObject } from './brook-install.ts';

/** The job as the pods see it (the Brook image is this tree at /opt/brook). */
export const JOB_ENTRY = '/opt/brook/e2e/scenarios/jobs/labelled-count.ts';
const S3_SECRET = 'counts-s3';
/** Input records a feed can send; far more than any scenario's run needs. */
const INPUT_CAPACITY = 200_000;
const KEYS = 24;
/** A feed never outlives this, even if a test forgets to stop it. */
const FEED_LIMIT_MS = 10 * 60_000;

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
  input: string;
  output: string;
  /** The StreamDeployment for `options`, as kubectl applies it. */
  manifest(options: DeploymentOptions): object;
  /** `kubectl apply` of the manifest for `options`. */
  apply(options: DeploymentOptions): void;
  /** `kubectl patch --type=merge` of the StreamDeployment. */
  patch(patch: object): void;
  /** Starts sending input at a steady rate; one feed at a time. */
  startFeed(recordsPerSecond: number): Feed;
  /** Every output record so far, once at least `count` are committed and the topic is quiet. */
  readOutput(count: number, timeoutMs?: number): Promise<CountRecord[]>;
  /** The output committed so far while the job runs: what a reader sees in `forMs`. */
  outputSoFar(forMs?: number): Promise<CountRecord[]>;
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

export interface StreamSnapshotObject {
  metadata: { name: string };
  spec: { deploymentName: string; triggerType: string; path?: string };
  status?: { state?: string; path?: string; jobId?: string };
}

export interface Feed {
  /** Records acknowledged by the broker so far. */
  readonly sent: number;
  /** Stops after the batch in flight; returns `key:n` expected for every record sent, in order. */
  stop(): Promise<string[]>;
}

/**
 * A namespace with Brook installed (useBrookInstall) and everything the running-count job needs;
 * topics and bucket are removed after the file.
 */
export function useCountingDeployment(prefix: string, name = 'counts'): CountingDeployment {
  const install = useBrookInstall(prefix);
  const fixture = { install, name } as CountingDeployment;
  let removeBucket: () => Promise<void> = async () => {};
  let s3: S3Client | undefined;
  let output: string | undefined;

  before(async () => {
    await ensureServices('kafka', 's3');
    const kafka = new KafkaTestCluster([...endpoints.kafka.bootstrapBrokers]);
    const bucket = await temporaryBucket('brook-e2e');
    removeBucket = () => bucket.remove();
    s3 = new S3Client(endpoints.s3);
    const input = await kafka.createTopic(`${prefix}-in`, 3);
    // The broker stamps output records with their append time: the output gap is measured on its clock.
    output = uniqueName(`${prefix}-out`);
    await kafka.admin.createTopics({
      topics: [output],
      partitions: 2,
      replicas: 1,
      configs: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
    });
    Object.assign(fixture, { kafka, bucket: bucket.name, input, output });
    // The JobManager and TaskManagers read S3 credentials from the environment, as the example does.
    succeeded(
      'kubectl create secret',
      kubectl([
        'create',
        'secret',
        'generic',
        S3_SECRET,
        '--namespace',
        install.namespace,
        `--from-literal=AWS_ACCESS_KEY_ID=${endpoints.s3.credentials.accessKeyId}`,
        `--from-literal=AWS_SECRET_ACCESS_KEY=${endpoints.s3.credentials.secretAccessKey}`,
      ]),
    );
  });

  after(async () => {
    if (output) await fixture.kafka.admin.deleteTopics({ topics: [output] }).catch(() => {});
    await fixture.kafka?.close();
    s3?.destroy();
    await removeBucket().catch(() => {}); // a savepoint written while the namespace goes is not the test's concern
  });

  const transactionalIdPrefix = `e2e-counts-${uniqueSuffix()}`;
  fixture.manifest = (options) => {
    const env = (container: string) => ({
      spec: { containers: [{ name: container, envFrom: [{ secretRef: { name: S3_SECRET } }] }] },
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
          args: [
            endpoints.kafka.bootstrapBrokers.join(','),
            fixture.input,
            fixture.output,
            transactionalIdPrefix,
            options.label,
          ],
          upgradeMode: options.upgradeMode,
          state: options.state ?? 'running',
        },
      },
    };
  };

  fixture.apply = (options) => {
    succeeded(
      'kubectl apply',
      kubectl(['apply', '--namespace', install.namespace, '-f', '-'], JSON.stringify(fixture.manifest(options))),
    );
  };

  fixture.patch = (patch) => {
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
        JSON.stringify(patch),
      ]),
    );
  };

  fixture.startFeed = (recordsPerSecond) => startFeed(fixture.input, recordsPerSecond);

  const read = async (count: number, timeoutMs: number, quietMs: number) => {
    const records = await fixture.kafka.readCommitted(fixture.output, count, timeoutMs, quietMs);
    return records.map((r) => {
      if (r.appendTime === undefined) throw new Error(`${fixture.output} has no append times: not LogAppendTime`);
      return parseCountRecord(r.value, Number(r.appendTime), Number(r.timestamp));
    });
  };
  fixture.readOutput = (count, timeoutMs = 120_000) => read(count, timeoutMs, 2000);
  // With input flowing the topic is never quiet: the reader stops at its deadline.
  fixture.outputSoFar = (forMs = 5000) => read(Number.MAX_SAFE_INTEGER, forMs, forMs);

  fixture.savepointsInBucket = async () => {
    const prefixKey = `${name}/savepoints/`;
    const found: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < 100; page++) {
      const listed = await s3!.send(
        new ListObjectsV2Command({ Bucket: fixture.bucket, Prefix: prefixKey, ContinuationToken: token }),
      );
      for (const object of listed.Contents ?? []) {
        if (object.Key?.endsWith('/_metadata')) {
          found.push(`s3://${fixture.bucket}/${object.Key.slice(0, -'/_metadata'.length)}`);
        }
      }
      token = listed.IsTruncated ? listed.NextContinuationToken : undefined;
      if (!token) break;
    }
    return found.sort();
  };

  fixture.streamSnapshots = async () => {
    const listed = (await install.kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
      group: 'brook.dev',
      version: 'v1beta1',
      namespace: install.namespace,
      plural: 'streamsnapshots',
    })) as { items: StreamSnapshotObject[] };
    return listed.items;
  };

  fixture.waitFor = (accept, what, timeoutMs) => install.waitForStreamDeployment(name, accept, what, timeoutMs);

  return fixture;
}

/**
 * Sends the running-count input (runningCountInput, fixed seed) in batches every 100 ms, so records flow
 * through every upgrade; the producer is idempotent and each batch is acknowledged before the next, so
 * per-key order is the order sent.
 */
function startFeed(topic: string, recordsPerSecond: number): Feed {
  const { records, expected } = runningCountInput(topic, INPUT_CAPACITY, KEYS, 20260508);
  const producer = new Producer({
    clientId: 'brook-e2e-feed',
    bootstrapBrokers: [...endpoints.kafka.bootstrapBrokers],
    serializers: stringSerializers,
    idempotent: true,
    acks: -1,
  });
  const perBatch = Math.max(1, Math.round(recordsPerSecond / 10));
  let sent = 0;
  let stopping = false;
  let failure: unknown;
  const started = Date.now();
  const running = (async () => {
    try {
      while (!stopping) {
        if (sent + perBatch > records.length || Date.now() - started > FEED_LIMIT_MS) {
          throw new Error(`the input feed of ${topic} ran past ${records.length} records or ${FEED_LIMIT_MS} ms`);
        }
        await producer.send({ messages: records.slice(sent, sent + perBatch) });
        sent += perBatch;
        // Paced by the clock, not by sleeps alone: a slow send is caught up, never accumulated as drift.
        const due = started + (sent / perBatch) * 100;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
      }
    } finally {
      await producer.close();
    }
  })().catch((error: unknown) => {
    failure = error;
  });
  return {
    get sent() {
      return sent;
    },
    async stop() {
      stopping = true;
      await running;
      if (failure !== undefined) throw new Error(`the input feed of ${topic} failed`, { cause: failure });
      return expected.slice(0, sent);
    },
  };
}
