// What the failure scenarios (TaskManager and JobManager loss, broken upgrades,
// the operator killed mid-upgrade) share on top of brook-install.ts: a Brook
// install with Kafka and a bucket, the running-count job as a StreamDeployment,
// and the resource's lifecycle as it happens.
import { after, before } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { KafkaTestCluster } from '../../runtime/connectors/kafka/testing.ts';
import { endpoints, ensureServices, temporaryBucket } from '../../scripts/testenv/index.ts';
import { useBrookInstall, type BrookInstall, type StreamDeploymentObject } from './brook-install.ts';
import type { CountingStream } from './counting-stream.ts';
import { jobS3Secret, savepointsPrefix } from './stream-deployment.ts';

/** The job modules as the pods see them (the Brook image is this tree at /opt/brook). */
export const countJobEntry = '/opt/brook/e2e/scenarios/jobs/failures-count.ts';
export const brokenCountJobEntry = '/opt/brook/e2e/scenarios/jobs/failures-broken-count.ts';
/** Records per second of the count job's input while a scenario acts. */
export const inputRate = 160;

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
export const since = (start: number) => seconds(Date.now() - start);

export interface FailureScenario {
  install: BrookInstall;
  kafka: KafkaTestCluster;
  bucket: { name: string; remove(): Promise<void> };
  /** What the file measured, printed after it as one line. */
  timings: string[];
}

/**
 * A Brook install (useBrookInstall) with Kafka and a bucket, removed after the file, which then prints
 * its timings as `e2e/scenarios/<file>: …`. Call it in a describe: the install's hooks must run in order.
 */
export function useFailureScenario(prefix: string, file: string): FailureScenario {
  const scenario = { install: useBrookInstall(prefix), timings: [] as string[] } as FailureScenario;
  before(async () => {
    await ensureServices('kafka', 's3');
    scenario.kafka = new KafkaTestCluster([...endpoints.kafka.bootstrapBrokers]);
    scenario.bucket = await temporaryBucket(`brook-${prefix}`);
  });
  after(async () => {
    await scenario.kafka?.close();
    await scenario.bucket?.remove().catch(() => {}); // a checkpoint written while the namespace goes is not this test's concern
    console.log(`e2e/scenarios/${file}: ${scenario.timings.join(', ')}`);
  });
  return scenario;
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

export const isStable = (sd: StreamDeploymentObject) =>
  sd.status?.lifecycleState === 'STABLE' &&
  sd.status.observedGeneration === sd.metadata.generation &&
  sd.status.jobStatus?.state === 'RUNNING';

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
