// A model of what the operator acts on (the Deployments, a JobManager with its
// job, checkpoint storage), for decide()'s tests: it applies actions the way
// the real adapters will and answers with observations. Test-only.
import type { Action } from './action.ts';
import type { Observation, ObservedCheckpoint } from './observation.ts';
import type { JobState, SavepointRecord, StreamDeploymentStatus } from '../resource/stream-deployment-status.ts';
import { checkpointLookup, disposalsToCheck, jobEndingLookup, triggerToObserve } from './observation-requests.ts';

interface Trigger {
  jobId: string;
  stop: boolean;
  status: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  path?: string;
  failure?: string;
}

export interface DeployRecord {
  jobId: string;
  restorePath: string | undefined;
  /** The job this one replaced, if any. */
  previousJobId: string | undefined;
}

export class SimulatedWorld {
  now = 1_000_000;
  generation = 1;
  deletionRequested = false;
  finalizerRemoved = false;
  jm: { exists: boolean; ready: boolean; hash?: string; jobId?: string } = { exists: false, ready: false };
  tms = { exists: false, desired: 1, ready: 0 };
  job: { id: string; state: JobState; restarts: number; failure?: string } | undefined;
  triggers = new Map<string, Trigger>();
  /** Complete checkpoints in storage by job id. */
  checkpoints = new Map<string, ObservedCheckpoint[]>();
  savepoints = new Set<string>();
  /** The runtime's `_job-ended` markers in checkpoint storage, by job id. */
  endings = new Map<string, NonNullable<NonNullable<Observation['jobEnding']>['ending']>>();
  /** Stop-with-savepoint triggers that completed, by job id. */
  completedStops = new Map<string, string[]>();
  deploys: DeployRecord[] = [];
  /** Set when an action breaks a rule the tests rely on (for example a second stop savepoint of one job). */
  violations: string[] = [];
  lastJobId: string | undefined;
  jobManagerUnreachable = false;
  /** Savepoints users took through StreamSnapshots of their own, as the observer reads them from the cache. */
  userSavepoints: SavepointRecord[] = [];
  private counter = 0;

  observe(uid: string, status: StreamDeploymentStatus | undefined): Observation {
    const rest = this.jm.exists && this.jm.ready && !this.jobManagerUnreachable ? this.restView() : undefined;
    const wanted = triggerToObserve(status);
    const lookup = checkpointLookup(status);
    const observation: Observation = {
      now: this.now,
      uid,
      generation: this.generation,
      deletionRequested: this.deletionRequested,
      jobManager: {
        exists: this.jm.exists,
        ready: this.jm.ready,
        ...(this.jm.hash ? { deploymentHash: this.jm.hash } : {}),
      },
      taskManagers: { ...this.tms },
      ...(rest ? { rest } : {}),
    };
    if (wanted && rest) {
      const t = this.triggers.get(wanted.triggerId);
      observation.savepointTrigger = t
        ? {
            triggerId: wanted.triggerId,
            status: t.status,
            ...(t.path ? { path: t.path } : {}),
            ...(t.failure ? { failure: t.failure } : {}),
          }
        : { triggerId: wanted.triggerId, status: 'UNKNOWN' };
    }
    const endingOf = jobEndingLookup(status, observation.savepointTrigger);
    if (endingOf) {
      const ending = this.endings.get(endingOf);
      observation.jobEnding = { jobId: endingOf, ...(ending ? { ending } : {}) };
    }
    if (lookup) {
      const latest = this.checkpoints.get(lookup)?.at(-1);
      observation.storedCheckpoint = { jobId: lookup, ...(latest ? { checkpoint: latest } : {}) };
    }
    const disposing = disposalsToCheck(status);
    if (disposing.length) observation.disposedPaths = disposing.filter((p) => !this.savepoints.has(p));
    if (this.userSavepoints.length > 0) observation.userSavepoints = [...this.userSavepoints];
    return observation;
  }

  private restView(): NonNullable<Observation['rest']> {
    if (!this.job) return {};
    const latest = this.checkpoints.get(this.job.id)?.at(-1);
    return {
      job: {
        id: this.job.id,
        state: this.job.state,
        restarts: this.job.restarts,
        ...(this.job.failure ? { failure: this.job.failure } : {}),
      },
      ...(latest ? { latestCheckpoint: latest } : {}),
    };
  }

  apply(action: Action): void {
    switch (action.type) {
      case 'none':
        return;
      case 'deploy': {
        const fresh = this.jm.jobId !== action.jobId;
        this.jm = { exists: true, ready: !fresh && this.jm.ready, hash: action.deploymentHash, jobId: action.jobId };
        this.tms = { exists: true, desired: action.spec.taskManager.replicas, ready: fresh ? 0 : this.tms.ready };
        if (fresh) {
          if (this.deploys.some((d) => d.jobId === action.jobId)) {
            // A recreated JobManager of the same job resumes from its own latest checkpoint.
          } else {
            this.deploys.push({ jobId: action.jobId, restorePath: action.restore.path, previousJobId: this.lastJobId });
          }
          this.lastJobId = action.jobId;
          this.job = { id: action.jobId, state: 'INITIALIZING', restarts: 0 };
        }
        return;
      }
      case 'triggerSavepoint': {
        if (this.triggers.has(action.triggerId)) return; // same id: the JobManager answers with the one it has
        if (!this.jm.exists || this.job?.id !== action.jobId || this.job.state !== 'RUNNING') return;
        if (action.stop && (this.completedStops.get(action.jobId)?.length ?? 0) > 0) {
          this.violations.push(`second stop-with-savepoint of job ${action.jobId}`);
        }
        this.triggers.set(action.triggerId, { jobId: action.jobId, stop: action.stop, status: 'IN_PROGRESS' });
        return;
      }
      case 'cancelJob':
        if (this.job?.id === action.jobId && !['FAILED', 'FINISHED', 'CANCELED'].includes(this.job.state))
          this.job.state = 'CANCELED';
        return;
      case 'deleteCluster':
        this.jm = { exists: false, ready: false };
        this.tms = { exists: false, desired: this.tms.desired, ready: 0 };
        this.job = undefined;
        this.triggers.clear();
        return;
      case 'disposeSavepoints':
        for (const p of action.paths) this.savepoints.delete(p);
        return;
      case 'removeFinalizer':
        this.finalizerRemoved = true;
        return;
    }
  }

  /** Time passes: pods become ready, jobs start, checkpoints complete, savepoints finish. */
  tick(ms: number, random: () => number = () => 0, faults = false): void {
    this.now += ms;
    if (this.jm.exists && !this.jm.ready) this.jm.ready = true;
    if (this.tms.exists) this.tms.ready = this.tms.desired;
    const job = this.job;
    if (job && this.jm.ready) {
      if (job.state === 'INITIALIZING' || job.state === 'CREATED') job.state = 'RUNNING';
      else if (job.state === 'RUNNING') {
        if (random() < 0.5) this.checkpoint(job.id);
        if (faults && random() < 0.04) {
          job.state = 'FAILED';
          job.failure = 'java.lang.RuntimeException: poison record';
        } else if (faults && random() < 0.05) job.restarts += 1;
      }
    }
    for (const [id, t] of this.triggers) {
      if (t.status !== 'IN_PROGRESS') continue;
      if (faults && random() < 0.15) {
        t.status = 'FAILED';
        t.failure = 'checkpoint declined';
      } else if (random() < 0.7) this.completeTrigger(id, t);
    }
  }

  private checkpoint(jobId: string): void {
    const list = this.checkpoints.get(jobId) ?? [];
    const id = (list.at(-1)?.id ?? 0) + 1;
    list.push({ id, path: `s3://bucket/checkpoints/${jobId}/chk-${id}`, timestamp: this.now });
    this.checkpoints.set(jobId, list);
  }

  private completeTrigger(id: string, t: Trigger): void {
    if (this.job?.id !== t.jobId || this.job.state !== 'RUNNING') {
      t.status = 'FAILED';
      t.failure = 'job not running';
      return;
    }
    t.status = 'COMPLETED';
    t.path = `s3://bucket/savepoints/savepoint-${++this.counter}`;
    this.savepoints.add(t.path);
    if (t.stop) {
      this.job.state = 'FINISHED';
      this.endings.set(t.jobId, { state: 'FINISHED', at: this.now, savepoint: t.path });
      this.completedStops.set(t.jobId, [...(this.completedStops.get(t.jobId) ?? []), t.path]);
    }
  }

  /**
   * The JobManager pod restarts: savepoints in progress are lost (the runtime
   * must keep completed trigger results, or a finished upgrade savepoint could
   * not be found again); a running job resumes from its latest checkpoint.
   */
  restartJobManager(): void {
    if (this.job && this.endings.has(this.job.id)) {
      // A JobManager restarted after its job ended reports the end, but knows no trigger of the earlier process.
      this.triggers.clear();
      return;
    }
    for (const [id, t] of this.triggers) if (t.status === 'IN_PROGRESS') this.triggers.delete(id);
    if (this.job?.state === 'RUNNING') this.job.restarts += 1;
  }
}
