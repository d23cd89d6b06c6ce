// Savepoint operations: the decision to start, reuse (same triggerId) or refuse
// (409) enumerated; results kept for a bounded time and count; a result read
// by a client counts as delivered.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JobState } from '../jobs-backend.ts';
import { decideTrigger, expiredOperations, TriggerStore, type Operation } from './triggers.ts';

const job = 'j'.repeat(32);
const op = (overrides: Partial<Operation>): Operation => ({
  jobId: job,
  triggerId: 't1',
  kind: 'savepoint',
  status: 'COMPLETED',
  createdAt: 0,
  completedAt: 0,
  delivered: false,
  ...overrides,
});

const decisions: [
  name: string,
  jobState: JobState,
  kind: 'savepoint' | 'stop',
  triggerId: string | undefined,
  ops: Operation[],
  expected: string,
][] = [
  ['a running job with nothing in progress starts', 'RUNNING', 'savepoint', undefined, [], 'start'],
  ['a new triggerId on a running job starts', 'RUNNING', 'stop', 't9', [op({})], 'start'],
  ['the same triggerId returns its operation', 'RUNNING', 'savepoint', 't1', [op({})], 'existing'],
  [
    'the same triggerId returns its operation even after the job ended',
    'FINISHED',
    'savepoint',
    't1',
    [op({})],
    'existing',
  ],
  [
    'the same triggerId of an in-progress one returns it',
    'RUNNING',
    'savepoint',
    't1',
    [op({ status: 'IN_PROGRESS' })],
    'existing',
  ],
  ['the same triggerId for another kind conflicts', 'RUNNING', 'stop', 't1', [op({})], 'conflict'],
  [
    'another operation in progress conflicts',
    'RUNNING',
    'savepoint',
    undefined,
    [op({ status: 'IN_PROGRESS' })],
    'conflict',
  ],
  ['a restarting job conflicts', 'RESTARTING', 'savepoint', undefined, [], 'conflict'],
  ['a finished job conflicts', 'FINISHED', 'stop', undefined, [], 'conflict'],
  ['a created job conflicts', 'CREATED', 'savepoint', 't2', [], 'conflict'],
];

for (const [name, jobState, kind, triggerId, operations, expected] of decisions) {
  test(`decideTrigger: ${name}`, () => {
    const decision = decideTrigger({ jobId: job, jobState, kind, triggerId, operations });
    assert.equal(decision.kind, expected);
    if (decision.kind === 'conflict') assert.match(decision.message, new RegExp(job));
  });
}

test('expired operations: completed ones past retention, then the oldest beyond the count; never one in progress', () => {
  const ops = [
    op({ triggerId: 'old', completedAt: 0 }),
    op({ triggerId: 'a', completedAt: 900 }),
    op({ triggerId: 'b', completedAt: 950 }),
    op({ triggerId: 'c', completedAt: 990 }),
    op({ triggerId: 'running', status: 'IN_PROGRESS', completedAt: undefined }),
  ];
  const expired = expiredOperations(ops, 1000, { retentionMs: 500, maxCompleted: 2 });
  assert.deepEqual(expired.map((o) => o.triggerId).sort(), ['a', 'old']);
});

test('a store runs an operation, records its location or failure, and marks a read result delivered', async () => {
  const store = new TriggerStore();
  const ok = store.start(job, 'savepoint', undefined, async () => 'file:///sp/1');
  assert.match(ok.triggerId, /^[0-9a-f]{32}$/);
  const bad = store.start(job, 'stop', 'given', () => {
    throw Object.assign(new Error('no space left'), { code: 'BROOK_X' });
  });
  assert.equal(bad.triggerId, 'given');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(store.read(job, ok.triggerId)!.location, 'file:///sp/1');
  const failed = store.read(job, 'given')!;
  assert.equal(failed.status, 'COMPLETED');
  assert.deepEqual([failed.failure!.class, failed.failure!.message], ['BROOK_X', 'no space left']);
  assert.equal(store.read('other', 'given'), undefined);
  const start = Date.now();
  await store.whenResultsDelivered(5_000);
  assert.ok(Date.now() - start < 1_000, 'every result was read, so nothing to wait for');
});

test('a store waits for an unread result until the timeout', async () => {
  const store = new TriggerStore();
  store.start(job, 'savepoint', undefined, async () => 'file:///sp/2');
  const start = Date.now();
  await store.whenResultsDelivered(100);
  assert.ok(Date.now() - start >= 100);
});

test('a store drops results after their retention, so a later read finds nothing', async () => {
  let now = 0;
  const store = new TriggerStore({ retentionMs: 1000, now: () => now });
  const { triggerId } = store.start(job, 'savepoint', undefined, async () => 'file:///sp/3');
  await new Promise((resolve) => setImmediate(resolve));
  now = 1000;
  assert.equal(store.read(job, triggerId)!.status, 'COMPLETED');
  now = 2001;
  assert.equal(store.read(job, triggerId), undefined);
  assert.deepEqual(store.operationsOf(job), []);
});
