// Key groups: the unit in which keyed state is partitioned, so a job can be
// restored at another parallelism (Flink's KeyGroupRangeAssignment). Keys map
// to one of maxParallelism key groups; each subtask owns a contiguous range.
import { hashKey, type Key } from './key.ts';

export const DEFAULT_MAX_PARALLELISM = 128;
export const UPPER_BOUND_MAX_PARALLELISM = 32768;

/** An inclusive range of key groups `[start, end]`; empty when `end < start`. */
export interface KeyGroupRange {
  start: number;
  end: number;
}

export function keyGroupForKey(key: Key, maxParallelism: number): number {
  return hashKey(key) % maxParallelism;
}

/** The range subtask `index` of `parallelism` owns. */
export function keyGroupRangeForSubtask(maxParallelism: number, parallelism: number, index: number): KeyGroupRange {
  checkParallelism(maxParallelism, parallelism);
  if (index < 0 || index >= parallelism) throw new RangeError(`subtask ${index} is outside 0..${parallelism - 1}`);
  return {
    start: Math.ceil((index * maxParallelism) / parallelism),
    end: Math.floor(((index + 1) * maxParallelism - 1) / parallelism),
  };
}

/** The subtask that owns `keyGroup`; the inverse of keyGroupRangeForSubtask. */
export function subtaskForKeyGroup(maxParallelism: number, parallelism: number, keyGroup: number): number {
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

export function keyGroupRangeSize(range: KeyGroupRange): number {
  return Math.max(0, range.end - range.start + 1);
}

export function rangeContains(range: KeyGroupRange, keyGroup: number): boolean {
  return keyGroup >= range.start && keyGroup <= range.end;
}

export function checkParallelism(maxParallelism: number, parallelism: number): void {
  if (!Number.isInteger(maxParallelism) || maxParallelism < 1 || maxParallelism > UPPER_BOUND_MAX_PARALLELISM) {
    throw new RangeError(
      `maxParallelism must be an integer in 1..${UPPER_BOUND_MAX_PARALLELISM}, got ${maxParallelism}`,
    );
  }
  if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > maxParallelism) {
    throw new RangeError(`parallelism must be an integer in 1..maxParallelism (${maxParallelism}), got ${parallelism}`);
  }
}
