// Which cached StreamSnapshots the periodic resync reconciles: those with work
// left (in flight, waiting, deleting, missing their finalizer), never the
// operator-taken ones (their deployment's reconcile writes them) or finished ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from './kube-resources.ts';
import { snapshotNeedsReconcile } from './snapshots.ts';

const snapshot = (over: {
  state?: string;
  deleting?: boolean;
  operator?: boolean;
  dispose?: boolean;
  finalizers?: string[];
}): KubeObject =>
  ({
    metadata: {
      name: 's',
      namespace: 'ns',
      labels: over.operator ? { 'brook.dev/taken-by': 'operator' } : {},
      finalizers: over.finalizers ?? [],
      ...(over.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    spec: { deploymentName: 'd', disposeOnDelete: over.dispose ?? false },
    ...(over.state ? { status: { state: over.state } } : {}),
  }) as KubeObject;

const cases: [string, Parameters<typeof snapshot>[0], boolean][] = [
  ['a new user snapshot', {}, true],
  ['one waiting to be triggered', { state: 'TRIGGER_PENDING' }, true],
  ['one in flight', { state: 'IN_PROGRESS' }, true],
  ['a completed one', { state: 'COMPLETED' }, false],
  ['a failed one', { state: 'FAILED' }, false],
  ['a completed one with disposeOnDelete but no finalizer yet', { state: 'COMPLETED', dispose: true }, true],
  [
    'a completed one with its finalizer',
    { state: 'COMPLETED', dispose: true, finalizers: ['brook.dev/snapshot-finalizer'] },
    false,
  ],
  ['one being deleted', { state: 'COMPLETED', deleting: true }, true],
  ['an operator-taken one in flight', { state: 'IN_PROGRESS', operator: true }, false],
];

for (const [name, over, expected] of cases) {
  test(`resync ${expected ? 'reconciles' : 'skips'} ${name}`, () => {
    assert.equal(snapshotNeedsReconcile(snapshot(over)), expected);
  });
}
