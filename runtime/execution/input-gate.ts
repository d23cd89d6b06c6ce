// The consuming end of one task input: all channels that feed input 1 (or 2).
// It hands out record batches round-robin and turns per-channel watermarks,
// idleness and end of input into events for the whole input.
import { WatermarkCombiner } from '../time/watermark-combiner.ts';
import type { InputChannel } from './channel.ts';
import { MAX_WATERMARK, type RecordBatch } from './elements.ts';

export type GateOutput =
  | RecordBatch
  | { kind: 'watermark'; timestamp: number }
  | { kind: 'status'; idle: boolean }
  | { kind: 'end' }
  /** `firstArrivalMs`: when the first channel delivered it (performance.now()), for the alignment time. */
  | { kind: 'barrier'; checkpointId: number; firstArrivalMs: number }
  | undefined;

export class InputGate {
  private readonly combiner: WatermarkCombiner;
  private readonly ended: boolean[];
  private endedCount = 0;
  private next = 0;
  private reportedIdle = false;
  private finished = false;
  /** The checkpoint whose barrier some channels delivered; undefined when no alignment runs. */
  private aligning: number | undefined;
  private aligningSince = 0;
  private readonly delivered: boolean[];

  /**
   * With `alignBarriers` (exactly-once), a channel that delivered barrier n is
   * not read again until every channel has: nothing after the barrier may
   * reach the state before the snapshot. Without it (at-least-once), channels keep flowing.
   */
  constructor(
    readonly channels: InputChannel[],
    private readonly alignBarriers = true,
  ) {
    this.combiner = new WatermarkCombiner(channels.length);
    this.ended = channels.map(() => false);
    this.delivered = channels.map(() => false);
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
      if (this.alignBarriers && this.delivered[index]) continue;
      const item = this.channels[index]!.poll();
      if (item === undefined) continue;
      switch (item.kind) {
        case 'barrier': {
          this.delivered[index] = true;
          if (this.aligning === undefined) this.aligningSince = performance.now();
          this.aligning = item.checkpointId;
          return this.alignmentComplete() ?? this.poll();
        }
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
          const aligned = this.alignmentComplete();
          if (aligned) return aligned;
          if (advanced !== undefined) return { kind: 'watermark', timestamp: advanced };
          return this.poll();
        }
      }
    }
    return undefined;
  }

  /** Barrier n for the whole input, once every channel still open has delivered it. */
  private alignmentComplete(): GateOutput {
    if (this.aligning === undefined) return undefined;
    for (let i = 0; i < this.channels.length; i++) if (!this.delivered[i] && !this.ended[i]) return undefined;
    const checkpointId = this.aligning;
    this.aligning = undefined;
    this.delivered.fill(false);
    return { kind: 'barrier', checkpointId, firstArrivalMs: this.aligningSince };
  }

  private statusChange(): GateOutput {
    if (this.combiner.isIdle === this.reportedIdle) return undefined;
    this.reportedIdle = this.combiner.isIdle;
    return { kind: 'status', idle: this.reportedIdle };
  }

  /** True when a readable (not blocked by alignment) channel has items. */
  hasData(): boolean {
    for (let i = 0; i < this.channels.length; i++) {
      if (this.channels[i]!.length > 0 && !(this.alignBarriers && this.delivered[i])) return true;
    }
    return false;
  }
}
