// The minimum watermark over several inputs (channels or source splits), where
// idle inputs are ignored and the combined watermark never goes back.
import { MIN_WATERMARK } from '../execution/elements.ts';

export class WatermarkCombiner {
  private readonly watermarks: number[] = [];
  private readonly idle: boolean[] = [];
  private combined = MIN_WATERMARK;
  private allIdle = false;

  constructor(inputs = 0) {
    for (let i = 0; i < inputs; i++) this.addInput();
  }

  addInput(): number {
    this.watermarks.push(MIN_WATERMARK);
    this.idle.push(false);
    return this.watermarks.length - 1;
  }

  get current(): number {
    return this.combined;
  }

  get isIdle(): boolean {
    return this.allIdle;
  }

  /** Records `timestamp` for `input`; returns the new combined watermark when it advanced. */
  update(input: number, timestamp: number): number | undefined {
    if (timestamp > this.watermarks[input]!) this.watermarks[input] = timestamp;
    this.idle[input] = false;
    return this.recompute();
  }

  /** Marks an input idle or active; returns the new combined watermark when it advanced. */
  setIdle(input: number, idle: boolean): number | undefined {
    this.idle[input] = idle;
    return this.recompute();
  }

  /** Removes an input from consideration for good (a finished split or channel). */
  finish(input: number): number | undefined {
    return this.setIdle(input, true);
  }

  private recompute(): number | undefined {
    let min = Number.POSITIVE_INFINITY;
    let anyActive = false;
    for (let i = 0; i < this.watermarks.length; i++) {
      if (this.idle[i]) continue;
      anyActive = true;
      if (this.watermarks[i]! < min) min = this.watermarks[i]!;
    }
    this.allIdle = !anyActive;
    if (anyActive && min > this.combined) {
      this.combined = min;
      return min;
    }
    return undefined;
  }
}
