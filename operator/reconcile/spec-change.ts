// What a spec change means for the running job: nothing to do, an operator-only
// change (recorded, nothing restarts), an upgrade, a suspension or a resumption.
import type { StreamDeploymentSpec } from '../resource/stream-deployment-spec.ts';
import { specHash } from '../children/deployment-hash.ts';

export type SpecChange = 'none' | 'operator-only' | 'upgrade' | 'suspend' | 'resume';

export function classifySpecChange(deployed: StreamDeploymentSpec, desired: StreamDeploymentSpec): SpecChange {
  const wasRunning = deployed.job.state === 'running';
  const running = desired.job.state === 'running';
  if (wasRunning && !running) return 'suspend';
  if (!wasRunning && running) return 'resume';
  if (specHash(deployed) !== specHash(desired)) return 'upgrade';
  // upgradeMode, savepointTriggerNonce and kubernetes.operator.* keys: recorded, nothing restarts.
  return sameJson(deployed, desired) ? 'none' : 'operator-only';
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
