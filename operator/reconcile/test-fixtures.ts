// Specs and a reconcile driver shared by decide()'s tests. Test-only.
import {
  streamDeploymentSpecSchema,
  type StreamDeploymentSpec,
  type StreamDeploymentSpecInput,
} from '../resource/stream-deployment-spec.ts';
import type { StreamDeploymentStatus } from '../resource/stream-deployment-status.ts';
import type { Decision } from './action.ts';
import { decide } from './decide.ts';
import { SimulatedWorld } from './simulated-world.ts';

export const UID = 'uid-1';
export const NAME = 'orders';

export function makeSpec(
  overrides: Partial<StreamDeploymentSpecInput> = {},
  job: Partial<StreamDeploymentSpecInput['job']> = {},
): StreamDeploymentSpec {
  return streamDeploymentSpecSchema.parse({
    image: 'brook:1',
    config: {
      'state.savepoints.dir': 's3://bucket/savepoints',
      'state.checkpoints.dir': 's3://bucket/checkpoints',
      'kubernetes.operator.deployment.stability.window': '10s',
    },
    ...overrides,
    job: { entry: '/opt/brook/examples/wordcount/job.ts', upgradeMode: 'savepoint', ...job },
  });
}

/** One resource and the world it lives in, reconciled the way the controller will: observe, decide, write, act. */
export class Harness {
  status: StreamDeploymentStatus | undefined;
  decisions: Decision[] = [];
  constructor(
    public spec: StreamDeploymentSpec,
    public world = new SimulatedWorld(),
  ) {}

  /** Changes the spec as `kubectl apply` would (a new generation). */
  setSpec(spec: StreamDeploymentSpec): void {
    this.spec = spec;
    this.world.generation += 1;
  }

  /**
   * One reconcile. `crash` simulates the operator dying: 'before-write' loses
   * the whole decision, 'after-write' writes the status but never acts.
   */
  reconcile(crash?: 'before-write' | 'after-write'): Decision {
    const decision = decide({
      name: NAME,
      spec: this.spec,
      status: this.status,
      observation: this.world.observe(UID, this.status),
    });
    this.decisions.push(decision);
    if (crash === 'before-write') return decision;
    this.status = decision.status;
    if (crash !== 'after-write') this.world.apply(decision.action);
    return decision;
  }

  /** Reconcile and let time pass, `rounds` times. */
  run(rounds: number, tickMs = 5_000): Decision {
    let last: Decision | undefined;
    for (let i = 0; i < rounds; i++) {
      last = this.reconcile();
      this.world.tick(tickMs);
    }
    return last!;
  }

  actions(): string[] {
    return this.decisions.map((d) => d.action.type);
  }
}
