// The producing end of one job edge in one subtask: picks the channel for each
// record by the edge's partitioning, batches records per channel, and sends
// events (watermarks, end of input) to every channel in order.
import type { Partitioning } from '../graph/transformation.ts';
import { keyGroupForKey, subtaskForKeyGroup } from '../state/key-groups.ts';
import { checkKey } from '../state/key.ts';
import type { OutputChannel } from './channel.ts';
import type { StreamEvent } from './elements.ts';
import { RecordNotSerializableError } from '../network/item-codec.ts';
import { describeRecord } from './user-function-error.ts';

/** Names the edge and, when it can be found, the first record of the batch that cannot be copied across processes. */
function describeEdge(edge: { from: string; to: string }, values: unknown[]): string {
  const bad = values.find((value) => {
    try {
      structuredClone(value);
      return false;
    } catch {
      return true;
    }
  });
  const record = bad === undefined ? '' : ` (${describeRecord(bad)})`;
  return `the output of operator '${edge.from}' to '${edge.to}' on another TaskManager${record}`;
}

export const DEFAULT_BATCH_SIZE = 512;

function checkKeyForKeyBy(key: unknown): void {
  try {
    checkKey(key);
  } catch (error) {
    throw new TypeError(`the keyBy key selector returned an invalid key: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

export class RecordWriter {
  private readonly values: unknown[][];
  private readonly timestamps: number[][];
  private nextRoundRobin: number;
  private readonly pick: (value: unknown) => number;

  constructor(
    private readonly channels: OutputChannel[],
    partitioning: Partitioning,
    options: {
      subtaskIndex: number;
      maxParallelism: number;
      batchSize?: number;
      /** The operators at the two ends, for errors: records that cannot cross to another process. */
      edge?: { from: string; to: string };
    },
    private readonly batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE,
  ) {
    this.values = channels.map(() => []);
    this.timestamps = channels.map(() => []);
    this.nextRoundRobin = options.subtaskIndex % channels.length;
    const n = channels.length;
    switch (partitioning.kind) {
      case 'hash': {
        const selector = partitioning.keySelector;
        const maxP = options.maxParallelism;
        this.pick = (value) => {
          const key = selector(value);
          const type = typeof key;
          if (type !== 'string' && type !== 'number') checkKeyForKeyBy(key);
          return subtaskForKeyGroup(maxP, n, keyGroupForKey(key, maxP));
        };
        break;
      }
      case 'rebalance':
        this.pick = () => {
          const channel = this.nextRoundRobin;
          this.nextRoundRobin = (channel + 1) % n;
          return channel;
        };
        break;
      default:
        // forward (one channel), global (channel 0); broadcast is handled in emit
        this.pick = () => 0;
    }
    this.broadcast = partitioning.kind === 'broadcast';
    this.edge = options.edge;
  }

  private readonly edge: { from: string; to: string } | undefined;

  private readonly broadcast: boolean;

  emit(value: unknown, timestamp: number): void {
    if (this.broadcast) {
      for (let c = 0; c < this.channels.length; c++) this.append(c, value, timestamp);
      return;
    }
    this.append(this.pick(value), value, timestamp);
  }

  private append(channel: number, value: unknown, timestamp: number): void {
    const values = this.values[channel]!;
    values.push(value);
    this.timestamps[channel]!.push(timestamp);
    if (values.length >= this.batchSize) this.flushChannel(channel);
  }

  private flushChannel(channel: number): void {
    const values = this.values[channel]!;
    if (values.length === 0) return;
    try {
      this.channels[channel]!.push({ kind: 'records', values, timestamps: this.timestamps[channel]! });
    } catch (error) {
      if (!(error instanceof RecordNotSerializableError) || !this.edge) throw error;
      throw new RecordNotSerializableError(describeEdge(this.edge, values), error.cause);
    }
    this.values[channel] = [];
    this.timestamps[channel] = [];
  }

  flush(): void {
    for (let c = 0; c < this.channels.length; c++) this.flushChannel(c);
  }

  broadcastEvent(event: StreamEvent): void {
    this.flush();
    for (const channel of this.channels) channel.push(event);
  }

  isBackpressured(): boolean {
    for (const channel of this.channels) if (channel.isFull()) return true;
    return false;
  }

  async whenWritable(): Promise<void> {
    for (const channel of this.channels) if (channel.isFull()) await channel.whenWritable();
  }
}
