// The consuming end of one task input: all channels that feed input 1 (or 2).
// It hands out record batches round-robin and turns per-channel watermarks,
// idleness and end of input into events for the whole input.
import { WatermarkCombiner } from '../time/watermark-combiner.ts';
import type { LocalChannel } from './channel.ts';
import { MAX_WATERMARK, type RecordBatch } from './elements.ts';

export type GateOutput =
  | RecordBatch
  | { kind: 'watermark'; timestamp: number }
  | { kind: 'status'; idle: boolean }
  | { kind: 'end' }
  | undefined;

export class InputGate {
  private readonly combiner: WatermarkCombiner;
  private readonly ended: boolean[];
  private endedCount = 0;
  private next = 0;
  private reportedIdle = false;
  private finished = false;

  constructor(readonly channels: LocalChannel[]) {
    this.combiner = new WatermarkCombiner(channels.length);
    this.ended = channels.map(() => false);
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** The next batch or input-level event; undefined when no channel has anything. */
  poll(): GateOutput {
    const n = this.channels.length;
    for (let tried = 0; tried < n; tried++) {
      const index = this.next;
      this.next = (index + 1) % n;
      const item = this.channels[index]!.poll();
      if (item === undefined) continue;
      switch (item.kind) {
        case 'records':
          return item;
        case 'watermark': {
          const advanced = this.combiner.update(index, item.timestamp);
          if (advanced !== undefined) return { kind: 'watermark', timestamp: advanced };
          return this.statusChange() ?? this.poll();
        }
        case 'status': {
          const advanced = this.combiner.setIdle(index, item.idle);
          if (advanced !== undefined) return { kind: 'watermark', timestamp: advanced };
          return this.statusChange() ?? this.poll();
        }
        case 'end': {
          this.ended[index] = true;
          this.endedCount++;
          // An ended channel has sent MAX_WATERMARK already; it no longer holds the minimum back.
          const advanced = this.combiner.update(index, MAX_WATERMARK);
          if (this.endedCount === n) {
            this.finished = true;
            return { kind: 'end' };
          }
          if (advanced !== undefined) return { kind: 'watermark', timestamp: advanced };
          return this.poll();
        }
      }
    }
    return undefined;
  }

  private statusChange(): GateOutput {
    if (this.combiner.isIdle === this.reportedIdle) return undefined;
    this.reportedIdle = this.combiner.isIdle;
    return { kind: 'status', idle: this.reportedIdle };
  }

  hasData(): boolean {
    for (const channel of this.channels) if (channel.length > 0) return true;
    return false;
  }
}
