// The wire format between TaskManagers (port 6121): length-prefixed frames on
// one TCP connection per pair of processes, multiplexing logical channels.
//
//   u32 length (of everything after it) | u8 type | u16 id length | id (utf-8) | payload
//
// DATA carries one channel item (a record batch or an in-band event) encoded by
// the channel's codec; CREDIT (consumer → producer) a u32 count of items the
// consumer has room for; OPEN announces a channel; ERROR carries a message.
import { BrookError } from '../errors.ts';

export const FrameType = { OPEN: 1, DATA: 2, CREDIT: 3, ERROR: 4 } as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export interface Frame {
  type: FrameType;
  channel: string;
  payload: Buffer;
}

/** A frame larger than this is refused: a corrupt length must not make us allocate gigabytes. */
export const MAX_FRAME_BYTES = 256 * 1024 * 1024;

export class FrameError extends BrookError {
  constructor(message: string) {
    super('BROOK_NETWORK_FRAME', message);
  }
}

export function encodeFrame(type: FrameType, channel: string, payload: Buffer = EMPTY): Buffer {
  const id = Buffer.from(channel, 'utf8');
  const header = Buffer.allocUnsafe(4 + 1 + 2);
  header.writeUInt32BE(1 + 2 + id.length + payload.length, 0);
  header.writeUInt8(type, 4);
  header.writeUInt16BE(id.length, 5);
  return Buffer.concat([header, id, payload]);
}

const EMPTY = Buffer.alloc(0);

/** Reassembles frames from TCP chunks, which split and join frames arbitrarily. */
export class FrameDecoder {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;

  /** Feeds a chunk; returns the frames it completed, in order. */
  push(chunk: Buffer): Frame[] {
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    const frames: Frame[] = [];
    while (this.bufferedBytes >= 4) {
      const head = this.peek(4);
      const length = head.readUInt32BE(0);
      if (length < 3 || length > MAX_FRAME_BYTES) throw new FrameError(`frame length ${length} is out of range`);
      if (this.bufferedBytes < 4 + length) break;
      const frame = this.take(4 + length).subarray(4);
      const type = frame.readUInt8(0) as FrameType;
      if (type < FrameType.OPEN || type > FrameType.ERROR) throw new FrameError(`unknown frame type ${type}`);
      const idLength = frame.readUInt16BE(1);
      if (3 + idLength > frame.length) throw new FrameError(`channel id of ${idLength} bytes overruns its frame`);
      frames.push({
        type,
        channel: frame.toString('utf8', 3, 3 + idLength),
        payload: frame.subarray(3 + idLength),
      });
    }
    return frames;
  }

  private peek(bytes: number): Buffer {
    if (this.buffered[0]!.length >= bytes) return this.buffered[0]!;
    const joined = Buffer.concat(this.buffered);
    this.buffered = [joined];
    return joined;
  }

  private take(bytes: number): Buffer {
    const joined = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered);
    const taken = joined.subarray(0, bytes);
    const rest = joined.subarray(bytes);
    this.buffered = rest.length > 0 ? [rest] : [];
    this.bufferedBytes = rest.length;
    return taken;
  }
}
