// Job-level metrics (labels job_name, job_id): status, uptime, restarts and
// checkpoints, read at scrape time from the job's status tracker, the same
// figures the REST API shows; state size per operator from the coordinator's
// completed checkpoints.
import type { Registry } from 'prom-client';
import type { CheckpointListener } from '../checkpoint/coordinator.ts';
import { jobStates, type CheckpointStats, type JobInfo } from '../cluster/jobs-backend.ts';
import { registerCollected, type Labels, type Sample } from './collected-metric.ts';

/** Where a job's status comes from (a JobStatusTracker). */
export interface JobStatusSource {
  info(): JobInfo;
  checkpoints(): CheckpointStats;
}

/** One job's metrics in a registry; `close` removes them. */
export class JobMetrics {
  closed = false;
  readonly labels: Labels;
  /** Bytes per operator in the newest completed checkpoint or savepoint. */
  private operatorSizes: { uid: string; name: string; stateSize: number }[] = [];
  /** Feed it to the checkpoint coordinator (CheckpointCoordinator.listeners) for state sizes per operator. */
  readonly checkpointListener: CheckpointListener = {
    started: () => {},
    failed: () => {},
    completed: (_id, _kind, details) => {
      if (details.operators) this.operatorSizes = details.operators;
    },
  };

  constructor(
    readonly jobName: string,
    readonly jobId: string,
    readonly status: JobStatusSource,
  ) {
    this.labels = { job_name: jobName, job_id: jobId };
  }

  close(): void {
    this.closed = true;
  }

  *stateSizes(): Iterable<Sample> {
    for (const { uid, name, stateSize } of this.operatorSizes) {
      yield { labels: { ...this.labels, operator_uid: uid, operator_name: name }, value: stateSize };
    }
  }
}

type JobSource = () => Iterable<JobMetrics>;

interface Snapshot {
  job: JobMetrics;
  info: JobInfo;
  checkpoints: CheckpointStats;
  now: number;
}

function jobFamily(
  registry: Registry,
  jobs: JobSource,
  family: { name: string; help: string; type: 'counter' | 'gauge' },
  value: (s: Snapshot) => number | undefined,
): void {
  registerCollected(registry, {
    ...family,
    *collect(): Iterable<Sample> {
      const now = Date.now();
      for (const job of jobs()) {
        const v = value({ job, info: job.status.info(), checkpoints: job.status.checkpoints(), now });
        if (v !== undefined) yield { labels: job.labels, value: v };
      }
    },
  });
}

/** Registers the job families in `registry`, reading the jobs `jobs` yields at each scrape. */
export function registerJobFamilies(registry: Registry, jobs: JobSource): void {
  const family = (f: Parameters<typeof jobFamily>[2], value: Parameters<typeof jobFamily>[3]) =>
    jobFamily(registry, jobs, f, value);
  registerCollected(registry, {
    name: 'brook_job_status',
    help: "1 for the job's current state (Flink's job states), 0 for the others",
    type: 'gauge',
    *collect() {
      for (const job of jobs()) {
        const { state } = job.status.info();
        for (const s of jobStates) yield { labels: { ...job.labels, state: s }, value: s === state ? 1 : 0 };
      }
    },
  });
  family(
    {
      name: 'brook_job_uptime_seconds',
      help: 'Time since the job last started running; 0 when not running',
      type: 'gauge',
    },
    ({ info, now }) => (info.state === 'RUNNING' ? (now - (info.timestamps.RUNNING ?? now)) / 1000 : 0),
  );
  family(
    { name: 'brook_job_restarts_total', help: 'Times the job was restarted after a failure', type: 'counter' },
    ({ info }) => info.restarts,
  );
  family(
    {
      name: 'brook_job_checkpoints_completed_total',
      help: 'Checkpoints and savepoints that completed',
      type: 'counter',
    },
    ({ checkpoints }) => checkpoints.counts.completed,
  );
  family(
    { name: 'brook_job_checkpoints_failed_total', help: 'Checkpoints and savepoints that failed', type: 'counter' },
    ({ checkpoints }) => checkpoints.counts.failed,
  );
  family(
    { name: 'brook_job_checkpoints_in_progress', help: 'Checkpoints under way', type: 'gauge' },
    ({ checkpoints }) => checkpoints.counts.inProgress,
  );
  family(
    {
      name: 'brook_job_checkpoints_restored_total',
      help: 'Times the job started from a checkpoint or savepoint',
      type: 'counter',
    },
    ({ checkpoints }) => checkpoints.counts.restored,
  );
  const last = (s: Snapshot) => s.checkpoints.latest.completed;
  family(
    {
      name: 'brook_job_last_checkpoint_duration_seconds',
      help: 'Trigger to completion of the newest completed checkpoint',
      type: 'gauge',
    },
    (s) => {
      const c = last(s);
      return c?.endTimestamp === undefined ? undefined : (c.endTimestamp - c.triggerTimestamp) / 1000;
    },
  );
  family(
    {
      name: 'brook_job_last_checkpoint_size_bytes',
      help: 'Bytes of state in the newest completed checkpoint',
      type: 'gauge',
    },
    (s) => last(s)?.stateSize,
  );
  family(
    {
      name: 'brook_job_last_checkpoint_timestamp_seconds',
      help: 'When the newest completed checkpoint completed (epoch seconds)',
      type: 'gauge',
    },
    (s) => {
      const end = last(s)?.endTimestamp;
      return end === undefined ? undefined : end / 1000;
    },
  );
  family(
    {
      name: 'brook_job_time_since_last_checkpoint_seconds',
      help: 'Time since the newest checkpoint completed',
      type: 'gauge',
    },
    (s) => {
      const end = last(s)?.endTimestamp;
      return end === undefined ? undefined : (s.now - end) / 1000;
    },
  );
  registerCollected(registry, {
    name: 'brook_operator_state_size_bytes',
    help: "Bytes of the operator's state (all subtasks) in the newest completed checkpoint or savepoint",
    type: 'gauge',
    *collect() {
      for (const job of jobs()) yield* job.stateSizes();
    },
  });
}
