// Act: carries out the one action decide() chose, after its status was
// written. Children go through server-side apply, savepoints and cancels
// through the JobManager REST API (with the trigger id from status), savepoint
// disposal straight to storage.
import type { Logger } from 'pino';
import type { Action } from '../reconcile/action.ts';
import { randomBytes } from 'node:crypto';
import { buildChildren } from '../children/children.ts';
import { buildClusterSecret } from '../children/cluster-secret.ts';
import { imageVersion } from '../children/owner.ts';
import { childNames } from '../children/names.ts';
import type { KubeApi } from './kube-api.ts';
import { JobManagerRest, JobManagerRestError } from './jobmanager-rest.ts';
import type { StateStorage } from './state-storage.ts';
import { BrookError } from '../../runtime/errors.ts';

export const FINALIZER = 'brook.dev/finalizer';

export interface ActorDependencies {
  api: KubeApi;
  jobManagerUrl: (namespace: string, name: string) => string;
  storage: StateStorage;
  restTimeoutMs: number;
}

/** The StreamDeployment as last written: the action's owner, and the version a finalizer change is made against. */
export interface ActionTarget {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  finalizers: string[];
}

export class SavepointDisposalError extends BrookError {
  constructor(failures: { path: string; error: unknown }[]) {
    super(
      'BROOK_OPERATOR_DISPOSAL_FAILED',
      `cannot delete ${failures.length} savepoint(s) from storage: ${failures.map((f) => `${f.path} (${(f.error as Error).message})`).join(', ')}`,
      { cause: failures[0]?.error },
    );
  }
}

export async function act(deps: ActorDependencies, target: ActionTarget, action: Action, log: Logger): Promise<void> {
  const rest = () => new JobManagerRest(deps.jobManagerUrl(target.namespace, target.name), deps.restTimeoutMs);
  switch (action.type) {
    case 'none':
      return;
    case 'deploy': {
      const children = buildChildren({
        metadata: { name: target.name, namespace: target.namespace, uid: target.uid },
        spec: action.spec,
        jobId: action.jobId,
        restore: action.restore,
      });
      // The cluster secret and the configuration first: the pods read them at start. The secret is made
      // once per StreamDeployment; later deploys find it and keep it, so every pod shares one.
      await deps.api.createSecretIfAbsent(
        buildClusterSecret(
          { name: target.name, namespace: target.namespace, uid: target.uid, version: imageVersion(action.spec.image) },
          randomBytes(32).toString('base64url'),
        ),
      );
      for (const child of [children.configMap, children.jobManagerService, children.jobManager, children.taskManager]) {
        await deps.api.apply(child);
      }
      return;
    }
    case 'triggerSavepoint':
      try {
        await rest().triggerSavepoint(action.jobId, action.triggerId, action.targetDirectory, action.stop);
      } catch (error) {
        // 409: the job is not running, or another operation runs; the next observation shows which.
        if (!(error instanceof JobManagerRestError && error.status === 409)) throw error;
        log.warn({ err: error, triggerId: action.triggerId }, 'the JobManager refused the savepoint');
      }
      return;
    case 'cancelJob':
      try {
        await rest().cancel(action.jobId);
      } catch (error) {
        // 404: no such job (any more); 409: it already ended. Either way it is not running.
        const status = error instanceof JobManagerRestError ? error.status : undefined;
        if (status !== 404 && status !== 409) throw error;
      }
      return;
    case 'deleteCluster': {
      const names = childNames(target.name);
      await deps.api.deleteDeployment(target.namespace, names.jobManager);
      await deps.api.deleteDeployment(target.namespace, names.taskManager);
      return;
    }
    case 'disposeSavepoints': {
      const failures: { path: string; error: unknown }[] = [];
      for (const path of action.paths) {
        try {
          await deps.storage.disposeSavepoint(path);
        } catch (error) {
          failures.push({ path, error });
        }
      }
      if (failures.length > 0) throw new SavepointDisposalError(failures);
      return;
    }
    case 'removeFinalizer':
      if (!target.finalizers.includes(FINALIZER)) return;
      await deps.api.setStreamDeploymentFinalizers(
        { name: target.name, namespace: target.namespace, resourceVersion: target.resourceVersion },
        target.finalizers.filter((f) => f !== FINALIZER),
      );
      return;
  }
}
