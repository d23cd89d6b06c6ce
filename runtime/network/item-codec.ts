// How channel items cross the network: record batches through a record codec
// (msgpack by default; a stream may bring its own), timestamps as float64s,
// and in-band events (watermarks, idleness, barriers, end of input) as a few bytes.
import { deserialize, serialize } from 'node:v8';
import { Packr } from 'msgpackr';
import { BrookError } from '../errors.ts';
import { END_OF_INPUT, type ChannelItem } from '../execution/elements.ts';

/** Turns a batch of record values into bytes and back (DataStream.withCodec). */
export interface RecordCodec<T = unknown> {
  encode(values: T[]): Buffer;
  decode(bytes: Buffer): T[];
}

/**
 * The default: msgpack with record structures (a batch's repeated object shape is
 * written once), about 3x node:v8's speed and half its bytes on typical records
 * (docs/performance.md). `moreTypes` carries Maps, Sets, Dates, bigints, typed
 * arrays and Errors. Each batch carries its own structures, so any decoder reads
 * any producer's batches in any order, and a restarted peer needs no handshake.
 */
export function msgpackRecordCodec<T = unknown>(): RecordCodec<T> {
  const packr = new Packr({
    useRecords: true,
    moreTypes: true,
    // msgpackr would write a function as undefined: data lost without a word.
    writeFunction: () => {
      throw new TypeError('a function cannot be serialised');
    },
  });
  return { encode: (values) => packr.pack(values), decode: (bytes) => packr.unpack(bytes) as T[] };
}

/**
 * node:v8's structured clone: slower, but keeps shared references, cycles and
 * -0. Give it to a stream whose records need those (DataStream.withCodec).
 */
export function v8RecordCodec<T = unknown>(): RecordCodec<T> {
  return { encode: (values) => serialize(values), decode: (bytes) => deserialize(bytes) as T[] };
}

export class RecordNotSerializableError extends BrookError {
  constructor(channel: string, cause: unknown) {
    super(
      'BROOK_RECORD_NOT_SERIALIZABLE',
      `a record sent on ${channel} cannot be serialised: ${(cause as Error).message} (records crossing processes must be plain data, or the stream needs its own codec)`,
      { cause },
    );
  }
}

const Tag = { RECORDS: 1, WATERMARK: 2, STATUS: 3, BARRIER: 4, END: 5 } as const;

export function encodeItem(item: ChannelItem, codec: RecordCodec, channel: string): Buffer {
  switch (item.kind) {
    case 'records': {
      let values: Buffer;
      try {
        values = codec.encode(item.values);
      } catch (error) {
        throw new RecordNotSerializableError(channel, error);
      }
      const head = Buffer.allocUnsafe(1 + 4);
      head.writeUInt8(Tag.RECORDS, 0);
      head.writeUInt32BE(item.timestamps.length, 1);
      const timestamps = Buffer.from(Float64Array.from(item.timestamps).buffer);
      return Buffer.concat([head, timestamps, values]);
    }
    case 'watermark': {
      const bytes = Buffer.allocUnsafe(9);
      bytes.writeUInt8(Tag.WATERMARK, 0);
      bytes.writeDoubleBE(item.timestamp, 1);
      return bytes;
    }
    case 'status':
      return Buffer.from([Tag.STATUS, item.idle ? 1 : 0]);
    case 'barrier': {
      const bytes = Buffer.allocUnsafe(10);
      bytes.writeUInt8(Tag.BARRIER, 0);
      bytes.writeDoubleBE(item.checkpointId, 1);
      bytes.writeUInt8(item.stop ? 1 : 0, 9);
      return bytes;
    }
    case 'end':
      return Buffer.from([Tag.END]);
  }
}

export function decodeItem(bytes: Buffer, codec: RecordCodec): ChannelItem {
  switch (bytes.readUInt8(0)) {
    case Tag.RECORDS: {
      const count = bytes.readUInt32BE(1);
      const timestampBytes = bytes.subarray(5, 5 + count * 8);
      // Copied: the slice may not be 8-byte aligned for a Float64Array view.
      const timestamps = Array.from(new Float64Array(Uint8Array.from(timestampBytes).buffer));
      const values = codec.decode(bytes.subarray(5 + count * 8));
      return { kind: 'records', values, timestamps };
    }
    case Tag.WATERMARK:
      return { kind: 'watermark', timestamp: bytes.readDoubleBE(1) };
    case Tag.STATUS:
      return { kind: 'status', idle: bytes.readUInt8(1) === 1 };
    case Tag.BARRIER:
      return { kind: 'barrier', checkpointId: bytes.readDoubleBE(1), stop: bytes.readUInt8(9) === 1 };
    case Tag.END:
      return END_OF_INPUT;
    default:
      throw new BrookError('BROOK_NETWORK_FRAME', `unknown channel item tag ${bytes.readUInt8(0)}`);
  }
}
