// fromCollection: the elements of an array, in order, from one reader.
import {
  staticSplitEnumerator,
  type InputStatus,
  type ReaderOutput,
  type Source,
  type SourceReader,
  type SourceSplit,
} from './source.ts';

interface CollectionSplit extends SourceSplit {
  position: number;
}

export function collectionSource<T>(elements: readonly T[]): Source<T, CollectionSplit> {
  const items = [...elements];
  return {
    boundedness: 'bounded',
    createEnumerator: (context) => staticSplitEnumerator(context, [{ id: 'collection', position: 0 }]),
    createReader(): SourceReader<T, CollectionSplit> {
      const splits: CollectionSplit[] = [];
      let noMore = false;
      return {
        addSplits: (added) => void splits.push(...added.map((s) => ({ ...s }))),
        notifyNoMoreSplits: () => void (noMore = true),
        pollNext(output: ReaderOutput<T>, maxRecords: number): InputStatus {
          const split = splits.find((s) => s.position < items.length);
          if (!split) return noMore ? 'end' : 'nothing';
          const end = Math.min(items.length, split.position + maxRecords);
          for (; split.position < end; split.position++) output.collect(items[split.position]!);
          return 'more';
        },
        isAvailable: () => new Promise((resolve) => setImmediate(resolve)),
        snapshotState: () => splits.map((s) => ({ ...s })),
      };
    },
  };
}
