// The control connection between a TaskManager and the JobManager (port 6123):
// messages as node:v8 structured clones behind a u32 length, one TCP
// connection per TaskManager. Both processes run the same Brook version, so
// v8's format (plain data, Maps, Buffers, bigints) is all the schema needed.
import type { Socket } from 'node:net';
import { deserialize, serialize } from 'node:v8';
import { BrookError } from '../errors.ts';

/** Control messages are small (state handles, splits); a larger length means a corrupt stream. */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export class ControlProtocolError extends BrookError {
  constructor(peer: string, message: string) {
    super('BROOK_CONTROL_PROTOCOL', `control connection with ${peer}: ${message}`);
  }
}

export class ControlConnection<In, Out> {
  private buffered: Buffer = Buffer.alloc(0);
  private closedReason: string | undefined;
  private readonly closeListeners: ((reason: string) => void)[] = [];
  readonly peer: string;

  /** `initial`: bytes that arrived right after the handshake (runtime/network/peer-auth.ts). */
  constructor(
    private readonly socket: Socket,
    private readonly onMessage: (message: In) => void,
    initial: Buffer = Buffer.alloc(0),
  ) {
    this.peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.closed(error.message));
    socket.on('close', () => this.closed('the connection closed'));
    if (initial.length > 0) this.receive(initial);
    // The handshake paused the socket so that no byte was lost before this listener.
    socket.resume();
  }

  get isOpen(): boolean {
    return this.closedReason === undefined;
  }

  send(message: Out): void {
    if (!this.isOpen) return;
    const body = serialize(message);
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32BE(body.length, 0);
    this.socket.write(Buffer.concat([head, body]));
  }

  /** Called once, with why the connection ended. */
  onClose(listener: (reason: string) => void): void {
    if (this.closedReason !== undefined) listener(this.closedReason);
    else this.closeListeners.push(listener);
  }

  close(): void {
    this.socket.end();
    this.socket.destroySoon();
  }

  destroy(reason: string): void {
    this.socket.destroy();
    this.closed(reason);
  }

  private receive(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4) {
      const length = this.buffered.readUInt32BE(0);
      if (length > MAX_MESSAGE_BYTES) {
        this.destroy(new ControlProtocolError(this.peer, `message of ${length} bytes is too large`).message);
        return;
      }
      if (this.buffered.length < 4 + length) return;
      const body = this.buffered.subarray(4, 4 + length);
      this.buffered = this.buffered.subarray(4 + length);
      let message: In;
      try {
        message = deserialize(body) as In;
      } catch (error) {
        this.destroy(new ControlProtocolError(this.peer, (error as Error).message).message);
        return;
      }
      this.onMessage(message);
    }
  }

  private closed(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    for (const listener of this.closeListeners.splice(0)) listener(reason);
  }
}
