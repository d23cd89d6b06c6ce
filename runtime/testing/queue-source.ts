// A source that a test feeds while the job runs: pushed records are emitted in
// order by the one reader that holds its single split, and the job ends after end().
import type { Source, SourceSplit } from '../connectors/source.ts';
import { staticSplitEnumerator } from '../connectors/source.ts';

export interface QueueSource<T> {
  source: Source<T>;
  push(...values: T[]): void;
  /** No more records: the source ends once the queue is drained. */
  end(): void;
}

export function queueSource<T>(): QueueSource<T> {
  const queue: T[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const source: Source<T> = {
    boundedness: 'continuous',
    createEnumerator: (context) => staticSplitEnumerator<SourceSplit>(context, [{ id: 'queue' }]),
    createReader: () => {
      let holdsSplit = false;
      let noMoreSplits = false;
      return {
        addSplits: (splits) => void (holdsSplit ||= splits.length > 0),
        notifyNoMoreSplits: () => void (noMoreSplits = true),
        pollNext(output, maxRecords) {
          if (!holdsSplit) return noMoreSplits ? 'end' : 'nothing';
          if (queue.length === 0) return ended ? 'end' : 'nothing';
          for (const value of queue.splice(0, maxRecords)) output.collect(value);
          return 'more';
        },
        isAvailable: () =>
          queue.length > 0 || ended ? Promise.resolve() : new Promise<void>((resolve) => (wake = resolve)),
        snapshotState: () => [],
      };
    },
  };
  return {
    source,
    push(...values) {
      queue.push(...values);
      notify();
    },
    end() {
      ended = true;
      notify();
    },
  };
}
