// A handle on a running job for savepoints: held by whoever started the job
// (brook run, tests, later the JobManager's REST API).
import { BrookError } from '../errors.ts';

export type SavepointAction = (uri: string, stop: boolean, drain: boolean) => Promise<string>;

export class JobControl {
  private action: SavepointAction | undefined;
  private waiting: (() => void)[] = [];

  /** The mini-cluster attaches the running attempt (and detaches when it ends). */
  attach(action: SavepointAction | undefined): void {
    this.action = action;
    if (action) for (const wake of this.waiting.splice(0)) wake();
  }

  /** Resolves once an attempt of the job runs (savepoints can be taken from then on). */
  whenRunning(): Promise<void> {
    if (this.action) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Takes a savepoint into directory `uri` (file:// or s3://); resolves with its location. */
  triggerSavepoint(uri: string): Promise<string> {
    return this.run(uri, false);
  }

  /**
   * Takes a savepoint, lets sinks commit, then stops the job; execute() resolves
   * with the savepoint's location. With `drain`, sources first end event time
   * (every event-time window and timer fires), as Flink's stop --drain: for a
   * job that will not be resumed, since its state then holds event time ended.
   */
  stopWithSavepoint(uri: string, options: { drain?: boolean } = {}): Promise<string> {
    return this.run(uri, true, options.drain ?? false);
  }

  private run(uri: string, stop: boolean, drain = false): Promise<string> {
    if (!this.action) return Promise.reject(new BrookError('BROOK_JOB_NOT_RUNNING', 'the job is not running'));
    return this.action(uri, stop, drain);
  }
}

/** Splits a directory URI into its parent (opened as storage) and its last segment. */
export function splitDirectoryUri(uri: string): { parent: string; name: string } {
  const trimmed = uri.replace(/\/+$/, '');
  const slash = trimmed.lastIndexOf('/');
  const parent = trimmed.slice(0, slash);
  if (slash < 0 || parent.endsWith(':/') || parent === 's3:/' || trimmed.slice(slash + 1) === '') {
    throw new BrookError(
      'BROOK_INVALID_SAVEPOINT_PATH',
      `savepoint path '${uri}' must be a directory such as file:///savepoints/sp-1 or s3://bucket/savepoints/sp-1`,
    );
  }
  return { parent: parent.endsWith(':/') ? `${parent}/` : parent, name: trimmed.slice(slash + 1) };
}
