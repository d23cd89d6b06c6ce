// The StreamSnapshots that record the savepoints a StreamDeployment's operator
// takes itself (manual, periodic, upgrade), derived from its status alone: the
// trigger in flight is IN_PROGRESS, history entries are COMPLETED, a recorded
// snapshot whose trigger the status no longer follows has FAILED, and one whose
// savepoint is being disposed goes. Level-triggered: a write lost to an
// operator restart is made by the next reconcile.
import type { SnapshotTriggerType, StreamDeploymentStatus } from '../resource/stream-deployment-status.ts';
import type { SnapshotState, StreamSnapshotStatus } from '../resource/stream-snapshot.ts';
import { snapshotNameFor } from './savepoints.ts';

/** What one operator-taken savepoint's StreamSnapshot should say. */
export interface SnapshotRecord {
  name: string;
  triggerType: SnapshotTriggerType;
  status: StreamSnapshotStatus & { state: SnapshotState };
}

/** An operator-taken StreamSnapshot as it is now (from the informer cache). */
export interface ExistingSnapshot {
  name: string;
  path?: string;
  status?: StreamSnapshotStatus;
}

export type SnapshotWrite =
  | { type: 'create'; record: SnapshotRecord }
  | { type: 'status'; name: string; status: StreamSnapshotStatus }
  | { type: 'delete'; name: string };

/** The snapshots `status` says should exist, with the state each should show. */
export function desiredSnapshots(deploymentName: string, status: StreamDeploymentStatus | undefined): SnapshotRecord[] {
  const records: SnapshotRecord[] = [];
  const info = status?.jobStatus?.savepointInfo;
  for (const h of info?.history ?? []) {
    if (h.snapshotName === undefined) continue;
    records.push({
      name: h.snapshotName,
      triggerType: h.triggerType,
      status: {
        state: 'COMPLETED',
        path: h.path,
        jobId: h.jobId,
        resultTimestamp: h.timestamp,
        ...(h.triggerId !== undefined ? { triggerId: h.triggerId } : {}),
      },
    });
  }
  const inFlight = (triggerType: SnapshotTriggerType, triggerId: string, jobId: string, at: number) => {
    const name = snapshotNameFor(deploymentName, triggerType, triggerId);
    if (records.some((r) => r.name === name)) return;
    records.push({
      name,
      triggerType,
      status: { state: 'IN_PROGRESS', triggerId, jobId, triggerTimestamp: at },
    });
  };
  const pending = info?.pendingTrigger;
  if (pending) inFlight(pending.triggerType, pending.triggerId, pending.jobId, pending.triggeredAt);
  const op = status?.reconciliationStatus?.operation;
  if (op?.phase === 'SAVEPOINTING' && op.savepoint && op.fromJobId !== undefined) {
    inFlight('upgrade', op.savepoint.triggerId, op.fromJobId, op.savepoint.triggeredAt);
  }
  return records;
}

/**
 * The writes that make `existing` (the deployment's operator-taken snapshots) say what `status`
 * says. Nothing already COMPLETED or FAILED is reopened; a snapshot in flight that the status no
 * longer follows failed (its error from status.error when that names it).
 */
export function snapshotWrites(
  deploymentName: string,
  status: StreamDeploymentStatus | undefined,
  existing: readonly ExistingSnapshot[],
  now: number,
): SnapshotWrite[] {
  const desired = desiredSnapshots(deploymentName, status);
  const byName = new Map(existing.map((e) => [e.name, e]));
  const disposing = new Set(status?.jobStatus?.savepointInfo?.disposing ?? []);
  const writes: SnapshotWrite[] = [];
  for (const record of desired) {
    const current = byName.get(record.name);
    if (!current) writes.push({ type: 'create', record });
    else if (current.status?.state !== record.status.state && current.status?.state !== 'FAILED')
      writes.push({ type: 'status', name: record.name, status: { ...current.status, ...record.status } });
  }
  const wanted = new Set(desired.map((r) => r.name));
  for (const snapshot of existing) {
    const path = snapshot.status?.path ?? snapshot.path;
    if (path !== undefined && disposing.has(path)) {
      writes.push({ type: 'delete', name: snapshot.name });
      continue;
    }
    const state = snapshot.status?.state;
    if (wanted.has(snapshot.name) || (state !== 'IN_PROGRESS' && state !== 'TRIGGER_PENDING' && state !== undefined))
      continue;
    const error = status?.error;
    const said =
      error && snapshot.status?.triggerId !== undefined && error.message.includes(snapshot.status.triggerId)
        ? error.message
        : 'the savepoint did not complete (the operator stopped following its trigger; see the StreamDeployment events)';
    writes.push({
      type: 'status',
      name: snapshot.name,
      status: { ...snapshot.status, state: 'FAILED', error: said, resultTimestamp: now },
    });
  }
  return writes;
}
