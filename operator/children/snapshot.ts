// The StreamSnapshot that records a savepoint the operator took for a
// StreamDeployment (manual, periodic, upgrade). It is owned by the deployment
// (deleted with it by garbage collection) but never disposes the data on
// deletion: savepoints outlive the deployment, for a later restore by hand.
import { apiVersion } from '../resource/stream-deployment.ts';
import type { StreamSnapshot } from '../resource/stream-snapshot.ts';
import type { SnapshotRecord } from '../reconcile/snapshot-records.ts';

/** Labels of operator-taken snapshots; `kubectl get ssnap -l brook.dev/deployment=NAME` lists a deployment's. */
export const snapshotLabels = {
  deployment: 'brook.dev/deployment',
  triggerType: 'brook.dev/trigger-type',
  /** "operator": its status is written from the deployment's status, not by following a trigger of its own. */
  takenBy: 'brook.dev/taken-by',
} as const;

export function buildSnapshot(
  deployment: { name: string; namespace: string; uid: string },
  record: SnapshotRecord,
): StreamSnapshot {
  return {
    apiVersion,
    kind: 'StreamSnapshot',
    metadata: {
      name: record.name,
      namespace: deployment.namespace,
      labels: {
        'app.kubernetes.io/part-of': deployment.name,
        'app.kubernetes.io/managed-by': 'brook-operator',
        [snapshotLabels.deployment]: deployment.name,
        [snapshotLabels.triggerType]: record.triggerType,
        [snapshotLabels.takenBy]: 'operator',
      },
      ownerReferences: [
        // Not the controller, and not blocking: the deployment's deletion never waits on its snapshots.
        { apiVersion, kind: 'StreamDeployment', name: deployment.name, uid: deployment.uid, blockOwnerDeletion: false },
      ],
    },
    spec: {
      deploymentName: deployment.name,
      triggerType: record.triggerType,
      // The path is not known before the savepoint completes, and the spec cannot change after: it is in status.
      alreadyExists: false,
      // History cleanup deletes the data itself; deleting the record (or the deployment) keeps it.
      disposeOnDelete: false,
    },
    status: record.status,
  };
}
