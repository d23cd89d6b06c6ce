// The StreamSnapshot state machine (a user's savepoint request, alreadyExists,
// deletion with disposal) and the records of operator-taken savepoints, case by case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StreamSnapshotStatus } from '../resource/stream-snapshot.ts';
import type { StreamDeploymentStatus } from '../resource/stream-deployment-status.ts';
import { decideSnapshot, SNAPSHOT_FINALIZER, type SnapshotInput } from './snapshot.ts';
import { desiredSnapshots, snapshotWrites } from './snapshot-records.ts';
import { triggerIdFor } from './ids.ts';
import { Harness, makeSpec } from './test-fixtures.ts';

const JOB = 'f'.repeat(32);
const running = {
  jobId: JOB,
  jobState: 'RUNNING' as const,
  savepointsDir: 's3://b/sp',
  busy: false,
  protectedPaths: [],
};

function input(overrides: Partial<SnapshotInput['snapshot']> = {}, rest: Partial<SnapshotInput> = {}): SnapshotInput {
  return {
    snapshot: {
      uid: 'snap-uid',
      deleting: false,
      finalizers: [],
      operatorTaken: false,
      spec: { deploymentName: 'orders', triggerType: 'manual', alreadyExists: false, disposeOnDelete: false },
      status: undefined,
      ...overrides,
    },
    deployment: running,
    now: 5_000,
    ...rest,
  };
}

const inProgress = (attempt = 1): StreamSnapshotStatus => ({
  state: 'IN_PROGRESS',
  triggerId: triggerIdFor(JOB, 'snapshot-snap-uid', attempt),
  jobId: JOB,
  triggerTimestamp: 1_000,
  ...(attempt > 1 ? { failures: attempt - 1 } : {}),
});

test('a new user snapshot records its trigger id as IN_PROGRESS before sending it to the running job', () => {
  const d = decideSnapshot(input());
  assert.equal(d.status?.state, 'IN_PROGRESS');
  assert.equal(d.status?.triggerId, triggerIdFor(JOB, 'snapshot-snap-uid', 1));
  assert.deepEqual(d.action, {
    type: 'triggerSavepoint',
    jobId: JOB,
    triggerId: d.status?.triggerId,
    targetDirectory: 's3://b/sp',
  });
});

/** What a user snapshot in flight does for each answer of the JobManager and each state of the job. */
const following: {
  name: string;
  trigger: SnapshotInput['trigger'];
  jobState: NonNullable<SnapshotInput['deployment']>['jobState'];
  state: string | undefined;
  action: string;
}[] = [
  {
    name: 'completed',
    trigger: { status: 'COMPLETED', path: 's3://b/sp/sp-1' },
    jobState: 'RUNNING',
    state: 'COMPLETED',
    action: 'none',
  },
  { name: 'in progress', trigger: { status: 'IN_PROGRESS' }, jobState: 'RUNNING', state: undefined, action: 'none' },
  {
    name: 'unknown to a running job (never sent)',
    trigger: { status: 'UNKNOWN' },
    jobState: 'RUNNING',
    state: undefined,
    action: 'triggerSavepoint',
  },
  {
    name: 'failed, job running: retried',
    trigger: { status: 'FAILED', failure: 'declined' },
    jobState: 'RUNNING',
    state: 'TRIGGER_PENDING',
    action: 'none',
  },
  {
    name: 'unknown, job finished',
    trigger: { status: 'UNKNOWN' },
    jobState: 'FINISHED',
    state: 'FAILED',
    action: 'none',
  },
  { name: 'no answer, job restarting', trigger: undefined, jobState: 'RESTARTING', state: undefined, action: 'none' },
  { name: 'no answer, job failed', trigger: undefined, jobState: 'FAILED', state: 'FAILED', action: 'none' },
];

for (const row of following) {
  test(`a user snapshot in flight, trigger ${row.name}: state ${row.state ?? 'unchanged'}, action ${row.action}`, () => {
    const d = decideSnapshot(
      input({ status: inProgress() }, { trigger: row.trigger, deployment: { ...running, jobState: row.jobState } }),
    );
    assert.equal(d.status?.state, row.state);
    assert.equal(d.action.type, row.action);
  });
}

test('a failed attempt is retried with a new trigger id, and the snapshot FAILS after the last attempt', () => {
  const retry = decideSnapshot(input({ status: inProgress() }, { trigger: { status: 'FAILED', failure: 'declined' } }));
  const again = decideSnapshot(input({ status: retry.status }));
  assert.equal(again.status?.triggerId, triggerIdFor(JOB, 'snapshot-snap-uid', 2));
  const last = decideSnapshot(input({ status: inProgress(3) }, { trigger: { status: 'FAILED', failure: 'declined' } }));
  assert.equal(last.status?.state, 'FAILED');
  assert.match(last.status?.error ?? '', /declined/);
});

test('a user snapshot waits (TRIGGER_PENDING) while the job starts or an upgrade runs, and FAILS for a deployment that is gone or suspended', () => {
  assert.equal(
    decideSnapshot(input({}, { deployment: { ...running, jobState: 'INITIALIZING' } })).status?.state,
    'TRIGGER_PENDING',
  );
  assert.equal(decideSnapshot(input({}, { deployment: { ...running, busy: true } })).status?.state, 'TRIGGER_PENDING');
  const gone = decideSnapshot(input({}, { deployment: undefined }));
  assert.equal(gone.status?.state, 'FAILED');
  assert.match(gone.status?.error ?? '', /StreamDeployment orders does not exist/);
  assert.equal(
    decideSnapshot(input({}, { deployment: { ...running, jobState: 'SUSPENDED' } })).status?.state,
    'FAILED',
  );
});

test('alreadyExists only records the path as COMPLETED: no savepoint is taken', () => {
  const d = decideSnapshot(
    input({
      spec: {
        deploymentName: 'orders',
        triggerType: 'manual',
        alreadyExists: true,
        disposeOnDelete: false,
        path: 's3://b/x',
      },
    }),
  );
  assert.equal(d.status?.state, 'COMPLETED');
  assert.equal(d.status?.path, 's3://b/x');
  assert.equal(d.action.type, 'none');
});

test('disposeOnDelete puts a finalizer on first; deletion disposes the data, unless the deployment still needs it', () => {
  const spec = {
    deploymentName: 'orders',
    triggerType: 'manual' as const,
    alreadyExists: false,
    disposeOnDelete: true,
  };
  assert.equal(decideSnapshot(input({ spec })).action.type, 'addFinalizer');
  const completed = { state: 'COMPLETED' as const, path: 's3://b/sp/sp-1' };
  const deleting = { spec, deleting: true, finalizers: [SNAPSHOT_FINALIZER], status: completed };
  assert.deepEqual(decideSnapshot(input(deleting)).action, { type: 'release', path: 's3://b/sp/sp-1' });
  const needed = decideSnapshot(input(deleting, { deployment: { ...running, protectedPaths: ['s3://b/sp/sp-1'] } }));
  assert.deepEqual(needed.action, { type: 'release' });
  assert.equal(needed.events[0]?.reason, 'SnapshotKept');
  const keep = decideSnapshot(input({ ...deleting, spec: { ...spec, disposeOnDelete: false } }));
  assert.deepEqual(keep.action, { type: 'release' });
  assert.equal(decideSnapshot(input({ deleting: true })).action.type, 'none', 'no finalizer: nothing to do');
});

test('an operator-taken snapshot is left to its deployment (its status is written from the deployment status)', () => {
  assert.equal(decideSnapshot(input({ operatorTaken: true })).action.type, 'none');
  assert.equal(decideSnapshot(input({ operatorTaken: true })).status, undefined);
});

test('every savepoint the operator takes is recorded: IN_PROGRESS while in flight, COMPLETED with its path, manual, periodic and upgrade', () => {
  const config = { ...makeSpec().config, 'kubernetes.operator.periodic.savepoint.interval': '1 min' };
  const h = new Harness(makeSpec({ config }));
  h.run(8);
  h.setSpec(makeSpec({ config }, { savepointTriggerNonce: 1 }));
  const triggered = h.reconcile();
  const inFlight = desiredSnapshots('orders', triggered.status);
  assert.deepEqual(
    inFlight.map((r) => [r.triggerType, r.status.state]),
    [['manual', 'IN_PROGRESS']],
  );
  h.world.tick(1000);
  h.run(20);
  h.setSpec(makeSpec({ config, image: 'brook:2' }, { savepointTriggerNonce: 1 }));
  const stopping = h.reconcile();
  assert.ok(
    desiredSnapshots('orders', stopping.status).some(
      (r) => r.triggerType === 'upgrade' && r.status.state === 'IN_PROGRESS',
    ),
  );
  h.world.tick(1000);
  h.run(3);
  const records = desiredSnapshots('orders', h.status);
  assert.deepEqual(new Set(records.map((r) => r.triggerType)), new Set(['manual', 'periodic', 'upgrade']));
  assert.ok(
    records.every((r) => r.status.state === 'COMPLETED' && r.status.path?.startsWith('s3://bucket/savepoints/')),
  );
  assert.equal(new Set(records.map((r) => r.name)).size, records.length);
  const manual = records.find((r) => r.triggerType === 'manual')!;
  assert.equal(manual.name, inFlight[0]!.name, 'the same snapshot goes from IN_PROGRESS to COMPLETED');
});

test('snapshot writes: create the missing, complete the finished, fail the abandoned, delete the disposed', () => {
  const status: StreamDeploymentStatus = {
    jobStatus: {
      savepointInfo: {
        history: [
          {
            path: 's3://b/sp/1',
            timestamp: 1,
            triggerType: 'manual',
            jobId: JOB,
            snapshotName: 'orders-manual-1',
            triggerId: 't1',
          },
          {
            path: 's3://b/sp/2',
            timestamp: 2,
            triggerType: 'periodic',
            jobId: JOB,
            snapshotName: 'orders-periodic-2',
            triggerId: 't2',
          },
        ],
        disposing: ['s3://b/sp/0'],
      },
    },
    error: {
      reason: 'SavepointFailed',
      message: 'manual savepoint of job x (trigger t3) failed: declined',
      timestamp: 3,
    },
  };
  const writes = snapshotWrites(
    'orders',
    status,
    [
      { name: 'orders-manual-1', status: { state: 'IN_PROGRESS', triggerId: 't1' } },
      { name: 'orders-manual-3', status: { state: 'IN_PROGRESS', triggerId: 't3' } },
      { name: 'orders-manual-0', status: { state: 'COMPLETED', path: 's3://b/sp/0' } },
      { name: 'orders-manual-9', status: { state: 'FAILED' } },
    ],
    10,
  );
  assert.deepEqual(
    writes.map((w) => [
      w.type,
      w.type === 'create' ? w.record.name : w.name,
      w.type === 'status' ? w.status.state : '',
    ]),
    [
      ['status', 'orders-manual-1', 'COMPLETED'],
      ['create', 'orders-periodic-2', ''],
      ['status', 'orders-manual-3', 'FAILED'],
      ['delete', 'orders-manual-0', ''],
    ],
  );
  const failed = writes.find((w) => w.type === 'status' && w.name === 'orders-manual-3');
  assert.match(failed?.type === 'status' ? (failed.status.error ?? '') : '', /declined/);
  assert.deepEqual(
    snapshotWrites(
      'orders',
      status,
      [
        { name: 'orders-manual-1', status: { state: 'COMPLETED' } },
        { name: 'orders-periodic-2', status: { state: 'COMPLETED' } },
      ],
      10,
    ),
    [],
    'nothing to do once they agree',
  );
});
