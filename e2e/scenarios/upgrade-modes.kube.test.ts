// Scenario 3 of the end-to-end issue, on testenv's kube-apiserver with a
// process kubelet and the chart installed: the running-count job (Kafka in, a
// count per key in keyed state, Kafka out exactly once) with input flowing.
// A last-state upgrade deletes the old pods without a savepoint and the new job
// continues from the newest checkpoint: every key's count carries on, the output
// stays exactly once. Then a stateless upgrade starts the job with empty state:
// it reads the input from the beginning again and counts from 1.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  continuityProblems,
  discontinuities,
  exactlyOnce,
  handoverGap,
  longestLatency,
  notStartingAtOne,
  prefixProblems,
  type CountRecord,
} from './count-checks.ts';
import { stableWithCheckpoint, useCountingDeployment } from './counting-deployment.ts';
import type { StreamDeploymentObject } from './brook-install.ts';

const RATE = 100; // input records per second
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const log = (line: string) => console.log(`e2e/scenarios/upgrade-modes: ${line}`);

const runningOtherThan = (jobId: string) => (sd: StreamDeploymentObject) =>
  sd.status?.jobStatus?.state === 'RUNNING' && sd.status.jobStatus.jobId !== jobId;

// In a describe: Node 20 runs a file's top-level before hooks concurrently, and the fixture's hooks build on each other.
describe('last-state and stateless upgrades', () => {
  const job = useCountingDeployment('e2e-modes');
  const phases: { lastStateAt?: number; lastStateStable?: number; secondJob?: string } = {};

  test(
    'scenario 3a: a last-state upgrade restores the newest checkpoint of the old job: counts carry on, no savepoint taken',
    { timeout: 300_000 },
    async () => {
      const applied = Date.now();
      const first = await job.startStable({ label: 'v1', upgradeMode: 'last-state' }, RATE);
      log(`apply to STABLE ${seconds(Date.now() - applied)}`);
      const firstJob = first.status!.jobStatus!.jobId!;

      phases.lastStateAt = Date.now();
      job.patch({ job: { args: job.stream.args('v2') } });
      const upgraded = await job.waitFor(runningOtherThan(firstJob), 'the upgraded job runs', 180_000);
      log(`last-state upgrade (spec change to new job RUNNING) ${seconds(Date.now() - phases.lastStateAt)}`);
      const restored = upgraded.status!.jobStatus!.restoredFrom;
      assert.equal(restored?.source, 'checkpoint', JSON.stringify(restored));
      assert.equal(restored.fromJobId, firstJob, 'a checkpoint of the old job');
      assert.ok(
        restored.path?.startsWith(`s3://${job.bucket}/${job.name}/checkpoints/`),
        `${restored.path} is under the checkpoint directory`,
      );
      assert.deepEqual(upgraded.status!.jobStatus!.savepointInfo?.history ?? [], [], 'no savepoint in the history');
      assert.deepEqual(await job.savepointsInBucket(), [], 'no savepoint in the bucket');

      const secondJob = upgraded.status!.jobStatus!.jobId!;
      await job.waitFor(
        (sd) => stableWithCheckpoint(sd) && sd.status?.jobStatus?.jobId === secondJob,
        'v2 is STABLE with a checkpoint of its own',
        120_000,
      );
      phases.lastStateStable = Date.now();
      const sofar = await job.outputSoFar();
      assert.deepEqual(continuityProblems(sofar, 'v1', 'v2').slice(0, 5), [], `${sofar.length} records read so far`);
      phases.secondJob = secondJob;
    },
  );

  test(
    'scenario 3b: a stateless upgrade starts with empty state: the input is read again from the start, counts from 1',
    { timeout: 300_000 },
    async () => {
      assert.ok(phases.secondJob && job.stream.flowing, 'scenario 3a left the v2 job running with input flowing');
      const statelessAt = Date.now();
      job.patch({ job: { upgradeMode: 'stateless', args: job.stream.args('v3') } });
      const upgraded = await job.waitFor(runningOtherThan(phases.secondJob), 'the stateless job runs', 180_000);
      log(`stateless upgrade (spec change to new job RUNNING) ${seconds(Date.now() - statelessAt)}`);
      assert.equal(upgraded.status!.jobStatus!.restoredFrom?.source, 'none');
      assert.equal(upgraded.status!.jobStatus!.restoredFrom?.path, undefined);
      const thirdJob = upgraded.status!.jobStatus!.jobId!;
      await job.waitFor(
        (sd) => stableWithCheckpoint(sd) && sd.status?.jobStatus?.jobId === thirdJob,
        'v3 is STABLE with a checkpoint of its own',
        120_000,
      );

      const expected = await job.stream.stop();
      // v1 and v2 wrote part of the counts once each, v3 all of them again.
      const written = (o: CountRecord[], label: string) => o.filter((r) => r.label === label);
      // Everything v1 and v2 wrote was committed before v3 started: once that is known, so is the total.
      let output = await job.readOutput(expected.length);
      const total = expected.length + output.filter((r) => r.label !== 'v3').length;
      if (output.length < total) output = await job.readOutput(total);
      const v3 = written(output, 'v3');
      const stateful = output.filter((r) => r.label !== 'v3');
      const v3Report = exactlyOnce(expected, v3);
      assert.deepEqual(
        { duplicates: v3Report.duplicates.slice(0, 5), missing: v3Report.missing.slice(0, 5) },
        { duplicates: [], missing: [] },
        `v3 wrote every count of the ${expected.length} records once`,
      );
      assert.deepEqual(notStartingAtOne(output, 'v3'), [], 'v3 starts every key at 1');
      assert.deepEqual(exactlyOnce(expected, stateful).unexpected, []);
      assert.deepEqual(prefixProblems(output, ['v1', 'v2']).slice(0, 5), [], 'v1 then v2: each count once, no hole');
      assert.ok(written(output, 'v1').length > 0 && written(output, 'v2').length > 0, 'v1 and v2 both wrote output');
      assert.deepEqual(discontinuities(output, 'v1', 'v2'), [], 'v2 carries on at last + 1 for every key');
      log(
        `${expected.length} records at ${RATE}/s; last-state upgrade: output gap ${seconds(handoverGap(output, 'v1', 'v2'))}, ` +
          `longest input-to-output latency ${seconds(
            longestLatency(
              output.filter((r) => r.label !== 'v3'),
              phases.lastStateAt!,
              phases.lastStateStable!,
            ),
          )}; ` +
          `stateless upgrade: output gap ${seconds(handoverGap(output, 'v2', 'v3'))}`,
      );
    },
  );
});
