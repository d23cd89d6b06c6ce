// A source for tests that must look at a job while it runs: it emits its
// scripted records, then holds the job open (no watermark, no end) until released.
import type { ReaderOutput, Source, SourceSplit } from '../connectors/source.ts';
import { staticSplitEnumerator } from '../connectors/source.ts';

export interface HeldSource<T> {
  source: Source<T>;
  release(): void;
}

/** `emit` runs once per poll with the poll count; it returns false when it has nothing more to emit. */
export function heldSource<T>(
  emit: (output: ReaderOutput<T>, poll: number) => boolean,
  splits: string[] = ['only'],
): HeldSource<T> {
  let released = false;
  const source: Source<T> = {
    boundedness: 'bounded',
    createEnumerator: (context) =>
      staticSplitEnumerator<SourceSplit>(
        context,
        splits.map((id) => ({ id })),
      ),
    createReader: () => {
      let poll = 0;
      let exhausted = false;
      return {
        addSplits() {},
        notifyNoMoreSplits() {},
        pollNext(output) {
          if (!exhausted && emit(output, poll++)) return 'more';
          exhausted = true;
          return released ? 'end' : 'nothing';
        },
        isAvailable: () => new Promise((resolve) => setTimeout(resolve, 2)),
        snapshotState: () => [],
      };
    },
  };
  return { source, release: () => void (released = true) };
}
