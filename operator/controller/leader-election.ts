// Leader election with a coordination.k8s.io Lease, as client-go does it:
// take the Lease when it is free or expired, renew it every retry period,
// and step down when a renewal has not succeeded within the renew deadline
// (before the Lease can expire for the others). Expiry is judged on this
// process's own clock from when the Lease was last seen to change, so clocks
// that disagree between nodes do not matter. A graceful stop releases it.
import type { Logger } from 'pino';
import { V1MicroTime, type V1Lease } from '@kubernetes/client-node';
import { isAbort, sleep } from './sleep.ts';
import { isConflict, type KubeApi } from './kube-api.ts';

export interface LeaderElectionOptions {
  namespace: string;
  leaseName: string;
  /** This replica's name in the Lease (holderIdentity). */
  identity: string;
  /** How long a Lease not renewed stays someone's (default 15 s). */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it stops acting (default 10 s). */
  renewDeadlineMs?: number;
  /** Time between attempts (default 2 s). */
  retryPeriodMs?: number;
}

export interface LeadershipCallbacks {
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
}

type LeaseSpec = NonNullable<V1Lease['spec']>;

export class LeaderElector {
  private leading = false;
  private lastRenewAt = 0;
  private observed: { key: string; at: number } | undefined;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;

  constructor(
    private readonly api: KubeApi,
    private readonly options: LeaderElectionOptions,
    private readonly callbacks: LeadershipCallbacks,
    private readonly log: Logger,
    private readonly onError: (error: unknown) => void = () => {},
  ) {
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (this.renewDeadlineMs >= this.leaseDurationMs) {
      throw new Error('leader election: the renew deadline must be shorter than the lease duration');
    }
  }

  /** True while this replica holds the Lease and renewed it within the renew deadline. */
  get isLeader(): boolean {
    return this.leading && Date.now() - this.lastRenewAt < this.renewDeadlineMs;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops competing; a leader steps down and releases the Lease so another replica takes over at once. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    if (this.leading) {
      this.stepDown('stopping');
      await this.release();
    }
  }

  private async run(): Promise<void> {
    while (!this.abort.signal.aborted) {
      let renewed = false;
      try {
        renewed = await this.withDeadline(this.tryAcquireOrRenew());
      } catch (error) {
        this.onError(error);
        this.log.warn({ err: error }, 'leader election: cannot read or write the Lease');
      }
      if (renewed) {
        this.lastRenewAt = Date.now();
        if (!this.leading) {
          this.leading = true;
          this.log.info({ lease: this.options.leaseName, identity: this.options.identity }, 'became leader');
          this.callbacks.onStartedLeading();
        }
      } else if (this.leading && Date.now() - this.lastRenewAt >= this.renewDeadlineMs) {
        this.stepDown('the Lease was not renewed within the renew deadline');
      }
      try {
        await sleep(this.retryPeriodMs * (this.leading ? 1 : 1 + Math.random() * 0.2), this.abort.signal);
      } catch (error) {
        if (!isAbort(error)) throw error;
      }
    }
  }

  private stepDown(why: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.log.warn({ lease: this.options.leaseName, why }, 'stopped leading');
    this.callbacks.onStoppedLeading();
  }

  /** A renewal that has not answered by the renew deadline counts as failed. */
  private async withDeadline(attempt: Promise<boolean>): Promise<boolean> {
    const limit = this.leading
      ? Math.max(this.renewDeadlineMs - (Date.now() - this.lastRenewAt), 1)
      : this.retryPeriodMs * 2;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), limit)));
    try {
      return await Promise.race([attempt, timeout]);
    } finally {
      clearTimeout(timer);
      attempt.catch(() => {}); // a late failure of an abandoned attempt is not news
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, leaseName, identity } = this.options;
    const now = Date.now();
    const lease = await this.api.readLease(namespace, leaseName);
    const spec: LeaseSpec = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.max(1, Math.ceil(this.leaseDurationMs / 1000)),
      renewTime: new V1MicroTime(now),
    };
    if (!lease) {
      try {
        await this.api.createLease(namespace, {
          metadata: { name: leaseName, namespace },
          spec: { ...spec, acquireTime: new V1MicroTime(now), leaseTransitions: 0 },
        });
        return true;
      } catch (error) {
        if (isConflict(error)) return false; // another replica created it first
        throw error;
      }
    }
    const current = lease.spec ?? {};
    const key = `${current.holderIdentity}|${String(current.renewTime)}|${current.leaseTransitions}`;
    if (this.observed?.key !== key) this.observed = { key, at: now };
    const holder = current.holderIdentity ?? '';
    const ours = holder === identity;
    const durationMs = (current.leaseDurationSeconds ?? 0) * 1000;
    if (!ours && holder !== '' && this.observed.at + durationMs > now) {
      if (this.leading) this.stepDown(`the Lease is held by ${holder}`);
      return false;
    }
    const renewed: V1Lease = {
      ...lease,
      spec: {
        ...current,
        ...spec,
        acquireTime: ours && current.acquireTime ? current.acquireTime : new V1MicroTime(now),
        leaseTransitions: (current.leaseTransitions ?? 0) + (ours ? 0 : 1),
      },
    };
    try {
      await this.api.replaceLease(namespace, renewed);
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }

  /** Gives the Lease up: another replica need not wait for it to expire. */
  private async release(): Promise<void> {
    const { namespace, leaseName, identity } = this.options;
    try {
      const lease = await this.api.readLease(namespace, leaseName);
      if (lease?.spec?.holderIdentity !== identity) return;
      await this.api.replaceLease(namespace, {
        ...lease,
        spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: new V1MicroTime(Date.now()) },
      });
      this.log.info({ lease: leaseName }, 'released the Lease');
    } catch (error) {
      this.log.warn({ err: error }, 'cannot release the Lease; it expires on its own');
    }
  }
}
