// What flows through channels besides records: watermarks, idleness changes
// and end of input, all in band so they stay ordered with the records around them.

/** Timestamp of a record that has none (Flink's Long.MIN_VALUE marker). */
export const NO_TIMESTAMP = Number.MIN_SAFE_INTEGER;
/** The watermark that closes event time: emitted at end of input, fires every remaining window. */
export const MAX_WATERMARK = Number.MAX_SAFE_INTEGER;
export const MIN_WATERMARK = Number.MIN_SAFE_INTEGER;

export interface WatermarkEvent {
  kind: 'watermark';
  timestamp: number;
}

/** A channel going idle is ignored when the minimum watermark across channels is computed. */
export interface WatermarkStatusEvent {
  kind: 'status';
  idle: boolean;
}

export interface EndOfInputEvent {
  kind: 'end';
}

/** Checkpoint barrier n: everything before it belongs to checkpoint n (asynchronous barrier snapshotting). */
export interface BarrierEvent {
  kind: 'barrier';
  checkpointId: number;
  /**
   * A stop-with-savepoint barrier: every task halts once it has passed it, so
   * nothing after the savepoint is processed (and then replayed after a restore).
   */
  stop?: boolean;
}

export type StreamEvent = WatermarkEvent | WatermarkStatusEvent | EndOfInputEvent | BarrierEvent;

export const END_OF_INPUT: EndOfInputEvent = Object.freeze({ kind: 'end' });
export const IDLE: WatermarkStatusEvent = Object.freeze({ kind: 'status', idle: true });
export const ACTIVE: WatermarkStatusEvent = Object.freeze({ kind: 'status', idle: false });

export function watermark(timestamp: number): WatermarkEvent {
  return { kind: 'watermark', timestamp };
}

/** A batch of records crossing a channel: parallel arrays avoid an object per record. */
export interface RecordBatch {
  kind: 'records';
  values: unknown[];
  timestamps: number[];
}

export type ChannelItem = RecordBatch | StreamEvent;
