// The latest figures of every subtask of a job's running attempt, as the
// REST API reads them: kept with an older reading, so that rates (records/s,
// busy and backpressured ratios) come from two readings of the same clock.
// Fed by TaskManagers' figures messages (JobManager) or by reading the
// in-process tasks on request (`brook run`); O(subtasks), never per record.
import type { SubtaskFigures } from '../metrics/subtask-figures.ts';

/** One subtask as the REST API sees it. */
export interface SubtaskSample {
  latest: SubtaskFigures;
  /** A reading at least the store's window older than `latest`, once there is one. */
  previous?: SubtaskFigures;
  /** Where the subtask runs: the TaskManager's id and data address. */
  location?: { taskManager: string; endpoint: string };
}

interface Kept {
  /** The reading rates are taken from, until `latest` lies a window past it. */
  base: SubtaskFigures;
  latest: SubtaskFigures;
  location?: SubtaskSample['location'];
}

export class FiguresStore {
  private readonly kept = new Map<string, Kept>();

  /** `windowMs`: how far apart the two readings behind a rate are (between half of it and about twice). */
  constructor(private readonly windowMs = 500) {}

  update(readings: readonly SubtaskFigures[], location?: SubtaskSample['location']): void {
    for (const reading of readings) {
      const key = `${reading.vertex}/${reading.subtask}`;
      const kept = this.kept.get(key);
      if (!kept) {
        this.kept.set(key, { base: reading, latest: reading, location });
        continue;
      }
      // The base moves on once the latest lies a window past it, however often readings come
      // (at every heartbeat on a JobManager, at every request on `brook run`).
      if (kept.latest.at - kept.base.at >= this.windowMs) kept.base = kept.latest;
      kept.latest = reading;
      if (location) kept.location = location;
    }
  }

  /** Every subtask heard of, in the order first heard. */
  samples(): SubtaskSample[] {
    return [...this.kept.values()].map(({ base, latest, location }) => ({
      latest,
      // Two readings a moment apart give noise, not a rate.
      ...(latest.at - base.at >= this.windowMs / 2 ? { previous: base } : {}),
      ...(location ? { location } : {}),
    }));
  }
}
