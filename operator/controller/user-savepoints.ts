// The savepoints users took of a deployment through StreamSnapshots they
// created (pure, over the informer's cache). The operator's own are in the
// deployment's status already; these count as its state as well, so a restart
// from the last savepoint or the latest state does not pass over a newer one.
import { snapshotLabels } from '../children/snapshot.ts';
import type { SavepointRecord } from '../resource/stream-deployment-status.ts';
import type { KubeObject } from './kube-resources.ts';

interface SnapshotView {
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: { deploymentName?: string };
  status?: { state?: string; path?: string; jobId?: string; resultTimestamp?: number };
}

/** The COMPLETED user StreamSnapshots of `deploymentName` that name the job they were taken of, oldest first. */
export function userSavepointsOf(
  snapshots: readonly KubeObject[],
  namespace: string,
  deploymentName: string,
): SavepointRecord[] {
  const records: SavepointRecord[] = [];
  for (const object of snapshots as unknown as SnapshotView[]) {
    const { metadata, spec, status } = object;
    if (metadata.namespace !== namespace || spec?.deploymentName !== deploymentName) continue;
    if (metadata.labels?.[snapshotLabels.takenBy] === 'operator') continue;
    // A registered savepoint (alreadyExists) names no job: it may be any job's state, so it is never chosen.
    if (status?.state !== 'COMPLETED' || !status.path || !status.jobId || status.resultTimestamp === undefined)
      continue;
    records.push({
      path: status.path,
      timestamp: status.resultTimestamp,
      triggerType: 'manual',
      jobId: status.jobId,
      snapshotName: metadata.name,
    });
  }
  return records.sort((a, b) => a.timestamp - b.timestamp);
}
