// One reconcile of one StreamDeployment: read it fresh, keep the finalizer on,
// observe, decide, write the decided status with the resourceVersion read
// (a conflict means someone else wrote first: nothing is done, the key comes
// back), then act and record the events. The pause annotation stops all of it.
import type { Logger } from 'pino';
import { canonicalJson } from '../children/deployment-hash.ts';
import { parseStreamDeployment, type StreamDeployment } from '../resource/stream-deployment.ts';
import { ResourceInvalidError } from '../resource/errors.ts';
import { withDefaultConfig, type DefaultConfig } from '../resource/default-config.ts';
import type { StreamDeploymentStatus } from '../resource/stream-deployment-status.ts';
import { decide } from '../reconcile/decide.ts';
import type { Decision } from '../reconcile/action.ts';
import { act, FINALIZER, type ActorDependencies, type ActionTarget } from './actor.ts';
import { observe, type ObserverDependencies } from './observer.ts';
import type { EventRecorder, EventSubject } from './events.ts';
import { isConflict, type KubeApi } from './kube-api.ts';
import { splitKey } from './kube-resources.ts';
import { logger } from '../../runtime/logging/logger.ts';
import type { OperatorMetrics, ReconcileResult } from './metrics.ts';

export const PAUSE_ANNOTATION = 'brook.dev/pause-reconciliation';

/** Points where tests stop a reconcile, as if the operator died there. */
export interface ReconcileHooks {
  /** After decide(), before the status is written. */
  beforeStatusWrite?: (key: string, decision: Decision) => Promise<void>;
  /** After the status was written, before the action. */
  beforeAct?: (key: string, decision: Decision) => Promise<void>;
}

export interface ReconcilerDependencies extends ObserverDependencies, ActorDependencies {
  api: KubeApi;
  events: EventRecorder;
  metrics: OperatorMetrics;
  log: Logger;
  /** The operator's default configuration, under each resource's own spec.config. */
  defaultConfig: DefaultConfig;
  /** Whether this replica may write; checked before the status write and before the action. */
  isLeader: () => boolean;
  hooks?: ReconcileHooks;
  /** Brings the deployment's operator-taken StreamSnapshots in line with the status just written. */
  syncSnapshots?: (
    deployment: { name: string; namespace: string; uid: string },
    status: StreamDeploymentStatus,
    log: Logger,
  ) => Promise<void>;
}

export interface ReconcileOutcome {
  result: ReconcileResult;
  /** Look again after this long (decide's requeueAfterMs; 0 for at once); undefined: wait for a change. */
  requeueAfterMs?: number;
}

/** What a controller remembers between reconciles, only to avoid repeating an Event at every resync. */
export interface ReconcilerMemory {
  /** Keys seen paused. */
  paused: Set<string>;
  /** Key → the generation whose refusal was announced. */
  refused: Map<string, number>;
}

export function newReconcilerMemory(): ReconcilerMemory {
  return { paused: new Set(), refused: new Map() };
}

export async function reconcile(
  deps: ReconcilerDependencies,
  memory: ReconcilerMemory,
  key: string,
): Promise<ReconcileOutcome> {
  const { namespace, name } = splitKey(key);
  const raw = await deps.api.getStreamDeployment(namespace, name);
  if (!raw) return { result: 'gone' };
  const metadata = raw.metadata as StreamDeployment['metadata'];
  const log = logger('operator.reconcile', deps.log).child({
    namespace,
    name,
    uid: metadata.uid,
    generation: metadata.generation,
  });
  const subject: EventSubject = { name, namespace, uid: metadata.uid ?? '' };
  const finalizers = metadata.finalizers ?? [];
  const deleting = metadata.deletionTimestamp !== undefined;

  const { paused } = memory;
  if (metadata.annotations?.[PAUSE_ANNOTATION] === 'true') {
    if (!paused.has(key)) {
      paused.add(key);
      log.info('reconciliation paused by annotation');
      await deps.events.record(
        subject,
        {
          type: 'Normal',
          reason: 'ReconciliationPaused',
          message: `${PAUSE_ANNOTATION} is "true": the operator does nothing until it is removed`,
        },
        log,
      );
    }
    return { result: 'paused' };
  }
  if (paused.delete(key)) log.info('reconciliation resumed');

  if (deleting && !finalizers.includes(FINALIZER)) return { result: 'gone' };
  if (!deleting && !finalizers.includes(FINALIZER)) {
    if (!deps.isLeader()) return { result: 'not-leader' };
    try {
      await deps.api.setStreamDeploymentFinalizers(
        { name, namespace, resourceVersion: metadata.resourceVersion ?? '' },
        [...finalizers, FINALIZER],
      );
    } catch (error) {
      if (isConflict(error)) return { result: 'conflict', requeueAfterMs: 0 };
      throw error;
    }
    log.debug('finalizer added');
    return { result: 'success', requeueAfterMs: 0 };
  }

  let resource: StreamDeployment;
  try {
    const parsed = parseStreamDeployment(raw);
    resource = { ...parsed, spec: withDefaultConfig(parsed.spec, deps.defaultConfig) };
  } catch (error) {
    if (!(error instanceof ResourceInvalidError)) throw error;
    const announced = memory.refused.get(key) === metadata.generation;
    memory.refused.set(key, metadata.generation ?? 0);
    return refuse(deps, subject, metadata, finalizers, error, announced, log);
  }

  const observation = await observe(deps, resource, Date.now(), log);
  const decision = decide({ name, spec: resource.spec, status: resource.status, observation });

  if (!deps.isLeader()) return { result: 'not-leader' };
  await deps.hooks?.beforeStatusWrite?.(key, decision);
  let resourceVersion = metadata.resourceVersion ?? '';
  if (canonicalJson(resource.status ?? {}) !== canonicalJson(decision.status)) {
    try {
      const written = await deps.api.replaceStreamDeploymentStatus(
        { name, namespace, resourceVersion },
        raw,
        decision.status,
      );
      resourceVersion = (written.metadata as { resourceVersion: string }).resourceVersion;
    } catch (error) {
      if (!isConflict(error)) throw error;
      log.debug('status changed since it was read; not acting, looking again');
      return { result: 'conflict', requeueAfterMs: 0 };
    }
    log.debug({ lifecycleState: decision.status.lifecycleState }, 'status written');
  }

  if (!deps.isLeader()) return { result: 'not-leader' };
  await deps.hooks?.beforeAct?.(key, decision);
  const target: ActionTarget = { name, namespace, uid: subject.uid, resourceVersion, finalizers };
  try {
    if (decision.action.type !== 'none') {
      log.info({ action: describeAction(decision) }, 'acting');
      await act(deps, target, decision.action, log);
      deps.metrics.actions.inc({ action: decision.action.type });
    }
  } finally {
    for (const event of decision.events) await deps.events.record({ ...subject, resourceVersion }, event, log);
  }
  if (deps.syncSnapshots && deps.isLeader()) {
    try {
      await deps.syncSnapshots(subject, decision.status, log);
    } catch (error) {
      // A snapshot record that cannot be written must not hold the job back; the next reconcile writes it.
      deps.metrics.errors.inc({ source: 'snapshot' });
      log.warn({ err: error }, 'cannot update StreamSnapshots');
    }
  }
  return { result: 'success', requeueAfterMs: decision.requeueAfterMs };
}

/**
 * A resource the schema refuses (one that got past an older CRD): said once
 * per generation in an Event. One being deleted still loses its finalizer, so
 * deletion is never stuck on it; its children go with their owner.
 */
async function refuse(
  deps: ReconcilerDependencies,
  subject: EventSubject,
  metadata: StreamDeployment['metadata'],
  finalizers: string[],
  error: ResourceInvalidError,
  announced: boolean,
  log: Logger,
): Promise<ReconcileOutcome> {
  if (!announced) {
    log.warn({ err: error }, 'resource refused');
    await deps.events.record(subject, { type: 'Warning', reason: 'ValidationError', message: error.message }, log);
  }
  if (metadata.deletionTimestamp !== undefined && deps.isLeader()) {
    await deps.api.setStreamDeploymentFinalizers(
      { name: subject.name, namespace: subject.namespace, resourceVersion: metadata.resourceVersion ?? '' },
      finalizers.filter((f) => f !== FINALIZER),
    );
  }
  return { result: 'invalid' };
}

function describeAction(decision: Decision): Record<string, unknown> {
  const { action } = decision;
  switch (action.type) {
    case 'deploy':
      return { type: action.type, jobId: action.jobId, restore: action.restore.path ?? 'none' };
    case 'triggerSavepoint':
      return { type: action.type, jobId: action.jobId, triggerId: action.triggerId, stop: action.stop };
    case 'cancelJob':
      return { type: action.type, jobId: action.jobId };
    case 'disposeSavepoints':
      return { type: action.type, paths: action.paths };
    default:
      return { type: action.type };
  }
}
