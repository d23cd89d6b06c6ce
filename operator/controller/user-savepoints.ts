// The savepoints users took of a deployment through StreamSnapshots they
// created (pure, over the informer's cache). The operator's own are in the
// deployment's status already; these count as its state as well, so a restart
// from the last savepoint or the latest state does not pass over a newer one.
import { snapshotLabels } from '../children/snapshot.ts';
import type { SavepointRecord } from '../resource/stream-deployment-status.ts';
import { jobIdFor } from '../reconcile/ids.ts';
import type { KubeObject } from './kube-resources.ts';

interface SnapshotView {
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec?: { deploymentName?: string };
  status?: { state?: string; path?: string; jobId?: string; resultTimestamp?: number };
}

/** The StreamDeployment whose savepoints are wanted: this incarnation of it, not only its name. */
export interface SavepointOwner {
  namespace: string;
  name: string;
  uid: string;
  /** status.reconciliationStatus.deploySequence: how many jobs this incarnation has deployed. */
  deploySequence: number | undefined;
}

/**
 * The ids of every job this incarnation deployed. A job id is derived from the resource's uid and its
 * deploy sequence (reconcile/ids.ts), so a snapshot of a job of an earlier StreamDeployment of the same
 * name (deleted, then created again) names a job that is not among them, whatever its timestamps say.
 */
function jobsOf(owner: SavepointOwner): ReadonlySet<string> {
  const ids = new Set<string>();
  for (let sequence = 1; sequence <= (owner.deploySequence ?? 0); sequence++) ids.add(jobIdFor(owner.uid, sequence));
  return ids;
}

/**
 * The COMPLETED user StreamSnapshots of `owner` that name one of its own jobs, oldest first. Left out:
 * snapshots being deleted (their data may be being disposed of) and snapshots of an earlier incarnation of
 * the same name.
 */
export function userSavepointsOf(snapshots: readonly KubeObject[], owner: SavepointOwner): SavepointRecord[] {
  const records: SavepointRecord[] = [];
  let ownJobs: ReadonlySet<string> | undefined;
  for (const object of snapshots as unknown as SnapshotView[]) {
    const { metadata, spec, status } = object;
    if (metadata.namespace !== owner.namespace || spec?.deploymentName !== owner.name) continue;
    if (metadata.labels?.[snapshotLabels.takenBy] === 'operator') continue;
    if (metadata.deletionTimestamp !== undefined) continue;
    // A registered savepoint (alreadyExists) names no job: it may be any job's state, so it is never chosen.
    if (status?.state !== 'COMPLETED' || !status.path || !status.jobId || status.resultTimestamp === undefined)
      continue;
    ownJobs ??= jobsOf(owner);
    if (!ownJobs.has(status.jobId)) continue;
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
