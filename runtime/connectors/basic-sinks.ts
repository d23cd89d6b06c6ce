// Sinks for development and tests: print to stdout, collect in memory, discard.
import { inspect } from 'node:util';
import type { Sink, SinkContext } from './sink.ts';

function format(value: unknown): string {
  return typeof value === 'string' ? value : inspect(value, { depth: 4, breakLength: Infinity });
}

/** Prints each record on its own line, prefixed `N> ` by subtask when parallel (as Flink's print()). */
export function printSink<T>(options: { prefix?: string; stream?: NodeJS.WritableStream } = {}): Sink<T> {
  return {
    createWriter(context) {
      const stream = options.stream ?? process.stdout;
      const subtask = context.parallelism > 1 ? `${context.subtaskIndex + 1}> ` : '';
      const prefix = options.prefix ? `${options.prefix}:${subtask ? '' : ' '}` : '';
      return {
        write(value: T) {
          const ok = stream.write(`${prefix}${subtask}${format(value)}\n`);
          if (!ok) return new Promise<void>((resolve) => stream.once('drain', () => resolve()));
        },
      };
    },
  };
}

/** Drops every record (benchmarks). */
export function discardSink<T>(): Sink<T> {
  return { createWriter: () => ({ write() {} }) };
}

export interface CollectedRecord<T> {
  value: T;
  timestamp: number | undefined;
  subtask: number;
}

/** Records collected by a collect sink; filled while the job runs in this process. */
export class CollectedRecords<T> {
  readonly records: CollectedRecord<T>[] = [];

  get values(): T[] {
    return this.records.map((r) => r.value);
  }
}

/** Collects every record in memory, for tests on the local mini-cluster. */
export function collectSink<T>(into: CollectedRecords<T>): Sink<T> {
  return {
    createWriter(context) {
      return {
        write(value: T, ctx: SinkContext) {
          into.records.push({ value, timestamp: ctx.timestamp(), subtask: context.subtaskIndex });
        },
      };
    },
  };
}
