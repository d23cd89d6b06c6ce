// The hash that says which deployment a child object belongs to: the spec
// fields that shape the pods, the job id and the state restored. It is written
// in an annotation on every child; a different hash means a different deployment.
import { createHash } from 'node:crypto';
import type { StreamDeploymentSpec } from '../resource/stream-deployment-spec.ts';
import { isOperatorKey } from '../resource/config-keys.ts';

/** JSON with object keys sorted, so equal values always serialise the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/**
 * The spec without what never reaches the pods: operator-only settings, the
 * savepoint nonce, the upgrade mode, the restart policy and the desired job state.
 */
export function podShapingSpec(spec: StreamDeploymentSpec): unknown {
  const config = Object.fromEntries(Object.entries(spec.config).filter(([key]) => !isOperatorKey(key)));
  const { savepointTriggerNonce: _nonce, upgradeMode: _mode, state: _state, restartPolicy: _policy, ...job } = spec.job;
  return { ...spec, config, job };
}

/** Hash of a spec as it shapes the job: equal for two specs whose difference needs no redeploy. */
export function specHash(spec: StreamDeploymentSpec): string {
  return shortHash(canonicalJson(podShapingSpec(spec)));
}

export function deploymentHash(spec: StreamDeploymentSpec, jobId: string, restorePath: string | undefined): string {
  return shortHash(canonicalJson({ spec: podShapingSpec(spec), jobId, restorePath: restorePath ?? null }));
}
