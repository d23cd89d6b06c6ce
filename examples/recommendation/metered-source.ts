// Wraps a source to count its records and completed checkpoints (progress),
// to stop reading at a limit (`--max-records`), and to keep a bounded input
// open at its end inside an unbounded job (savepoints need every task running).
import type { ReaderOutput, Source, SourceReader, SourceSplit } from 'brook';
import type { Progress } from './progress.ts';

export interface MeterOptions {
  /** Names the source in the progress report. */
  name: string;
  progress: Progress;
  /** Read at most `records` records over all readers of this source, then hold (no end) and call `onReached` once. */
  limit?: { records: number; onReached: () => void };
  /**
   * When the source ends, keep its readers open (idle) instead: a savepoint
   * needs every task running, so a finished catalogue source would make
   * Ctrl-C fail in an otherwise unbounded job.
   */
  holdAtEnd?: boolean;
}

/** A split the held reader opens and releases at once: its source then counts as idle, not holding event time back. */
const HELD_SPLIT = 'held-at-end';

function countingOutput<T>(output: ReaderOutput<T>, count: () => void): ReaderOutput<T> {
  return {
    collect(value, timestamp) {
      count();
      output.collect(value, timestamp);
    },
    forSplit(splitId) {
      const split = output.forSplit(splitId);
      return {
        collect(value, timestamp) {
          count();
          split.collect(value, timestamp);
        },
      };
    },
    releaseSplit: (splitId) => output.releaseSplit(splitId),
    collectSide: output.collectSide?.bind(output),
  };
}

/**
 * `source`, counted into `options.progress`; with `options.limit`, bounded to that many records.
 *
 * @example
 * env.fromSource(meteredSource(kafkaSource({ ... }), { name: 'behaviour', progress }), strategy)
 */
export function meteredSource<T, S extends SourceSplit>(source: Source<T, S>, options: MeterOptions): Source<T, S> {
  const { progress, limit, holdAtEnd = false } = options;
  let read = 0;
  let reached = false;
  const reach = () => {
    if (reached) return;
    reached = true;
    limit!.onReached();
  };
  return {
    boundedness: source.boundedness,
    createEnumerator: (context) => source.createEnumerator(context),
    restoreEnumerator:
      source.restoreEnumerator && ((context, restored) => source.restoreEnumerator!(context, restored)),
    createReader(context): SourceReader<T, S> {
      const inner = source.createReader(context);
      let held = false;
      const hold = (output: ReaderOutput<T>): 'nothing' => {
        if (!held) {
          held = true;
          // A restored reader whose splits were already read never opens one, so it would never turn idle.
          output.forSplit(HELD_SPLIT);
          output.releaseSplit(HELD_SPLIT);
        }
        return 'nothing';
      };
      return {
        async start() {
          progress.attach();
          await inner.start?.();
        },
        addSplits: (splits) => inner.addSplits(splits),
        notifyNoMoreSplits: () => inner.notifyNoMoreSplits(),
        pollNext(output, maxRecords) {
          const budget = limit ? Math.min(maxRecords, limit.records - read) : maxRecords;
          if (budget <= 0) {
            reach();
            return 'nothing';
          }
          let records = 0;
          const status = inner.pollNext(
            countingOutput(output, () => records++),
            budget,
          );
          read += records;
          progress.countIn(options.name, records);
          if (limit && read >= limit.records && status !== 'end') {
            reach();
            return 'nothing';
          }
          return status === 'end' && holdAtEnd ? hold(output) : status;
        },
        isAvailable: () => (reached || held ? new Promise((resolve) => setTimeout(resolve, 100)) : inner.isAvailable()),
        snapshotState: (checkpointId) => inner.snapshotState(checkpointId),
        async notifyCheckpointComplete(checkpointId) {
          progress.checkpointCompleted(checkpointId);
          await inner.notifyCheckpointComplete?.(checkpointId);
        },
        async close() {
          progress.detach();
          await inner.close?.();
        },
      };
    },
  };
}
