// `brook list|status|savepoint|stop|cancel --jobmanager URL`: the `flink` CLI's
// client commands against a JobManager's REST API. Results go to stdout
// (a savepoint's path alone, for scripts), progress and errors to stderr.
import { describeCauseChain } from '../runtime/errors.ts';
import {
  JobManagerRequestError,
  jobManagerRequest,
  SavepointFailedError,
  waitForSavepoint,
} from './jobmanager-client.ts';
import { UsageError } from './usage-error.ts';

export interface ClientFlags {
  jobmanager: string;
  'target-directory'?: string;
  drain?: boolean;
}

interface JobOverview {
  jid: string;
  name: string;
  state: string;
  'start-time': number;
  'end-time': number;
}

interface JobDetails extends JobOverview {
  restarts?: number;
  timestamps: Record<string, number>;
}

interface CheckpointView {
  id: number;
  trigger_timestamp: number;
  latest_ack_timestamp: number;
  state_size: number;
  external_path?: string | null;
  failure_message?: string | null;
}

interface Checkpoints {
  counts: { completed: number; failed: number; in_progress: number };
  latest: {
    completed: CheckpointView | null;
    savepoint: CheckpointView | null;
    failed: CheckpointView | null;
    restored: { id: number; is_savepoint: boolean; external_path: string } | null;
  };
}

interface Exceptions {
  exceptionHistory: { entries: { exceptionName: string; message?: string; timestamp: number }[] };
}

function checkJobId(command: string, jobId: string): string {
  if (!/^[0-9a-f]{32}$/.test(jobId)) {
    throw new UsageError(
      `brook ${command}: JOBID must be 32 lowercase hexadecimal characters, got '${jobId}' (see 'brook list')`,
    );
  }
  return jobId;
}

const time = (epochMs: number) => new Date(epochMs).toISOString();

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

/** One line per job: id, state, start time, name. */
export function formatJobList(jobs: JobOverview[]): string {
  const rows = jobs.map((j) => [j.jid, j.state, time(j['start-time']), j.name]);
  const header = ['JOB ID', 'STATE', 'STARTED', 'NAME'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows]
    .map((r) => r.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]!) : cell)).join('  '))
    .join('\n');
}

/** The job's state and its latest checkpoint, savepoint, restore and failure, one per line. */
export function formatJobStatus(job: JobDetails, checkpoints: Checkpoints, exceptions: Exceptions | undefined): string {
  const since = job.timestamps[job.state] || job['start-time'];
  const lines = [
    `job:        ${job.name} (${job.jid})`,
    `state:      ${job.state} since ${time(since)}${job.restarts ? `, ${job.restarts} restart(s)` : ''}`,
  ];
  const { completed, savepoint, failed, restored } = checkpoints.latest;
  lines.push(
    completed
      ? `checkpoint: ${completed.id} completed ${time(completed.latest_ack_timestamp)}, ${size(completed.state_size)}, ${completed.external_path ?? ''}`
      : `checkpoint: none completed${checkpoints.counts.in_progress > 0 ? ' (one in progress)' : ''}`,
  );
  if (savepoint)
    lines.push(
      `savepoint:  ${savepoint.id} completed ${time(savepoint.latest_ack_timestamp)}, ${savepoint.external_path ?? ''}`,
    );
  if (failed) lines.push(`failed:     checkpoint ${failed.id}: ${failed.failure_message ?? 'no reason given'}`);
  if (restored)
    lines.push(`restored:   from ${restored.is_savepoint ? 'savepoint' : 'checkpoint'} ${restored.external_path}`);
  const latest = exceptions?.exceptionHistory.entries[0];
  if (latest) lines.push(`exception:  ${time(latest.timestamp)} ${latest.exceptionName}: ${latest.message ?? ''}`);
  return lines.join('\n');
}

async function list(base: string): Promise<void> {
  const { jobs } = await jobManagerRequest<{ jobs: JobOverview[] }>(base, 'GET', '/jobs/overview');
  if (jobs.length === 0) console.error('brook list: no jobs');
  else console.log(formatJobList(jobs));
}

async function status(base: string, jobId: string): Promise<void> {
  const job = await jobManagerRequest<JobDetails>(base, 'GET', `/jobs/${jobId}`);
  const checkpoints = await jobManagerRequest<Checkpoints>(base, 'GET', `/jobs/${jobId}/checkpoints`);
  const exceptions =
    job.state === 'RUNNING' && !job.restarts
      ? undefined
      : await jobManagerRequest<Exceptions>(base, 'GET', `/jobs/${jobId}/exceptions?maxExceptions=1`);
  console.log(formatJobStatus(job, checkpoints, exceptions));
}

async function savepoint(command: 'savepoint' | 'stop', base: string, jobId: string, flags: ClientFlags) {
  const target = flags['target-directory'];
  const request =
    command === 'savepoint'
      ? { path: `/jobs/${jobId}/savepoints`, body: { 'target-directory': target, 'cancel-job': false } }
      : { path: `/jobs/${jobId}/stop`, body: { targetDirectory: target, drain: flags.drain ?? false } };
  const { 'request-id': triggerId } = await jobManagerRequest<{ 'request-id': string }>(
    base,
    'POST',
    request.path,
    request.body,
  );
  const what = command === 'stop' ? 'stopping job' : 'taking a savepoint of job';
  console.error(`brook ${command}: ${what} ${jobId} (trigger id ${triggerId}), waiting for the savepoint`);
  const location = await waitForSavepoint(base, jobId, triggerId, command);
  console.error(`brook ${command}: savepoint completed${command === 'stop' ? ', job stopped' : ''}`);
  console.log(location);
}

async function cancel(base: string, jobId: string): Promise<void> {
  await jobManagerRequest(base, 'PATCH', `/jobs/${jobId}?mode=cancel`);
  console.error(`brook cancel: cancellation of job ${jobId} accepted`);
}

/** Runs a client command; a failure prints one message naming the JobManager and exits 1. */
export async function runClientCommand(command: string, positionals: string[], flags: ClientFlags): Promise<number> {
  const base = flags.jobmanager;
  const jobId = () => checkJobId(command, positionals[0]!);
  try {
    if (command === 'list') await list(base);
    else if (command === 'status') await status(base, jobId());
    else if (command === 'savepoint' || command === 'stop') await savepoint(command, base, jobId(), flags);
    else if (command === 'cancel') await cancel(base, jobId());
    else throw new Error(`unknown client command ${command}`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // These messages already name the JobManager and its answer; their causes would repeat them.
    const known = error instanceof JobManagerRequestError || error instanceof SavepointFailedError;
    console.error(`brook ${command}: ${known ? error.message : describeCauseChain(error)}`);
    return 1;
  }
}
