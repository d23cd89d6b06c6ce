// The StreamSnapshot that records a savepoint the operator took. It has no
// owner reference on purpose: deleting a StreamDeployment must not delete (and,
// with disposeOnDelete, dispose) the savepoints a user may want to restore.
import type { SavepointRecord } from '../resource/stream-deployment-status.ts';
import { apiVersion } from '../resource/stream-deployment.ts';
import type { StreamSnapshot } from '../resource/stream-snapshot.ts';

export function buildSnapshot(
  deployment: { name: string; namespace: string },
  savepoint: SavepointRecord,
): StreamSnapshot {
  return {
    apiVersion,
    kind: 'StreamSnapshot',
    metadata: {
      name: savepoint.snapshotName ?? `${deployment.name}-${savepoint.triggerType}-${savepoint.timestamp}`,
      namespace: deployment.namespace,
      labels: {
        'app.kubernetes.io/part-of': deployment.name,
        'app.kubernetes.io/managed-by': 'brook-operator',
        'brook.dev/deployment': deployment.name,
        'brook.dev/trigger-type': savepoint.triggerType,
      },
    },
    spec: {
      deploymentName: deployment.name,
      triggerType: savepoint.triggerType,
      path: savepoint.path,
      alreadyExists: true,
      // Upgrade savepoints are what a rollback or a manual restore needs; the history cleanup disposes them.
      disposeOnDelete: false,
    },
    status: { state: 'COMPLETED', path: savepoint.path, jobId: savepoint.jobId, resultTimestamp: savepoint.timestamp },
  };
}
