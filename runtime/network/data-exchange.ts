// Record exchange between processes (TaskManager port 6121). A consumer
// registers an input channel under an id; the producer opens the channel by id
// over one TCP connection per pair of processes. Flow control is credit-based,
// as in Flink: the consumer grants one credit per item it has room for and
// returns one per item it takes, the producer sends only with credit, so a slow
// consumer slows its producers and nothing is buffered without bound.
import type { Server, Socket } from 'node:net';
import { BrookError } from '../errors.ts';
import type { InputChannel, OutputChannel } from '../execution/channel.ts';
import type { ChannelItem } from '../execution/elements.ts';
import { FrameDecoder, FrameType, encodeFrame, type Frame } from './frames.ts';
import { decodeItem, encodeItem, msgpackRecordCodec, type RecordCodec } from './item-codec.ts';
import { authenticateClient, authenticateToServer } from './peer-auth.ts';
import { connect, createServer, type ConnectionSecurity } from './transport.ts';
import { logger } from '../logging/logger.ts';

export class PeerLostError extends BrookError {
  constructor(channel: string, peer: string, reason: string) {
    super('BROOK_PEER_LOST', `channel ${channel} lost its peer ${peer}: ${reason}`);
  }
}

export interface Address {
  host: string;
  port: number;
}

const describe = (socket: Socket) => `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;

/** A 'data' listener handing each frame of `socket` to `onFrame`; a malformed stream destroys the socket. */
function frameReader(socket: Socket, onFrame: (frame: Frame) => void): (chunk: Buffer) => void {
  const decoder = new FrameDecoder();
  return (chunk) => {
    let frames: Frame[];
    try {
      frames = decoder.push(chunk);
    } catch (error) {
      socket.destroy(error as Error);
      return;
    }
    for (const frame of frames) onFrame(frame);
  };
}

/** The consuming end: items arrive from the network; each one taken returns a credit. */
export class RemoteInputChannel implements InputChannel {
  private readonly queue: ChannelItem[] = [];
  private failure: Error | undefined;
  private ended = false;
  private socket: Socket | undefined;
  onData: () => void = () => {};

  constructor(
    readonly id: string,
    readonly capacity: number,
    private readonly codec: RecordCodec,
  ) {}

  get length(): number {
    return this.queue.length;
  }

  poll(): ChannelItem | undefined {
    const item = this.queue.shift();
    if (item === undefined) {
      if (this.failure) throw this.failure;
      return undefined;
    }
    this.grant(1);
    return item;
  }

  /** The producer opened the channel on `socket`: it may send `capacity` items. */
  bind(socket: Socket): void {
    this.socket = socket;
    this.grant(this.capacity);
  }

  deliver(payload: Buffer): void {
    let item: ChannelItem;
    try {
      item = decodeItem(payload, this.codec);
    } catch (error) {
      this.fail(new BrookError('BROOK_NETWORK_FRAME', `channel ${this.id}: ${(error as Error).message}`));
      return;
    }
    if (item.kind === 'end') this.ended = true;
    this.queue.push(item);
    this.onData();
  }

  /** The connection went away: fine after end of input, a failure before it. */
  disconnected(reason: string): void {
    if (this.ended || !this.socket) return;
    this.fail(new PeerLostError(this.id, describe(this.socket), reason));
  }

  fail(error: Error): void {
    this.failure ??= error;
    this.onData();
  }

  private grant(credits: number): void {
    const socket = this.socket;
    if (!socket || socket.destroyed || this.ended) return;
    const payload = Buffer.allocUnsafe(4);
    payload.writeUInt32BE(credits, 0);
    socket.write(encodeFrame(FrameType.CREDIT, this.id, payload));
  }
}

/** The producing end: items are encoded at once (so a bad record fails here) and sent as credit allows. */
export class RemoteOutputChannel implements OutputChannel {
  private credits = 0;
  private readonly waiting: Buffer[] = [];
  private waiters: { resolve(): void; reject(error: Error): void }[] = [];
  private failure: Error | undefined;

  constructor(
    readonly id: string,
    private readonly socket: Socket,
    private readonly codec: RecordCodec,
  ) {
    socket.write(encodeFrame(FrameType.OPEN, id));
  }

  push(item: ChannelItem): void {
    if (this.failure) throw this.failure;
    const frame = encodeFrame(FrameType.DATA, this.id, encodeItem(item, this.codec, this.id));
    if (this.credits > 0 && this.waiting.length === 0) this.send(frame);
    else this.waiting.push(frame);
  }

  isFull(): boolean {
    return this.failure === undefined && (this.credits === 0 || this.waiting.length > 0);
  }

  whenWritable(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (!this.isFull()) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  release(): void {
    this.wake();
  }

  addCredits(credits: number): void {
    this.credits += credits;
    while (this.credits > 0 && this.waiting.length > 0) this.send(this.waiting.shift()!);
    if (!this.isFull()) this.wake();
  }

  fail(error: Error): void {
    this.failure ??= error;
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(this.failure);
  }

  private send(frame: Buffer): void {
    this.credits--;
    this.socket.write(frame);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.resolve();
  }
}

/**
 * One process's end of the data exchange: serves the input channels registered
 * here, and opens output channels to other processes (one connection each).
 */
export class DataExchange {
  private server: Server | undefined;
  private readonly inputs = new Map<string, RemoteInputChannel>();
  /** Opened by a producer before the consumer registered the channel. */
  private readonly earlyOpens = new Map<string, { socket: Socket; data: Buffer[] }>();
  private readonly connections = new Map<
    string,
    Promise<{ socket: Socket; outputs: Map<string, RemoteOutputChannel> }>
  >();
  private readonly accepted = new Set<Socket>();

  private readonly codec: RecordCodec;
  private readonly security: ConnectionSecurity;

  /**
   * `secret`: cluster.secret, proved on every connection before a frame crosses (peer-auth.ts);
   * `encryption`: cluster.encryption, TLS keyed by the secret (transport.ts).
   */
  constructor(options: { codec?: RecordCodec } & ConnectionSecurity = {}) {
    this.codec = options.codec ?? msgpackRecordCodec();
    this.security = { secret: options.secret, encryption: options.encryption };
  }

  /** Listens on `host:port` (port 0 picks one); resolves with the bound address. */
  async listen(host: string, port: number): Promise<Address> {
    const server = createServer(
      this.security,
      (socket) => this.accept(socket),
      (peer, reason) => logger('network').warn({ peer }, `data connection from ${peer}: ${reason}`),
    );
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new BrookError('BROOK_NETWORK', 'no TCP address');
    return { host, port: address.port };
  }

  /** The consuming end of channel `id`; `capacity` items may be in flight towards it. */
  inputChannel(id: string, capacity: number, codec: RecordCodec = this.codec): RemoteInputChannel {
    const channel = new RemoteInputChannel(id, capacity, codec);
    this.inputs.set(id, channel);
    const early = this.earlyOpens.get(id);
    if (early) {
      this.earlyOpens.delete(id);
      channel.bind(early.socket);
      for (const payload of early.data) channel.deliver(payload);
    }
    return channel;
  }

  /** The producing end of channel `id`, whose consumer listens at `address`. */
  async outputChannel(id: string, address: Address, codec: RecordCodec = this.codec): Promise<RemoteOutputChannel> {
    const connection = await this.connection(address);
    const channel = new RemoteOutputChannel(id, connection.socket, codec);
    connection.outputs.set(id, channel);
    return channel;
  }

  /** Drops the channels whose id starts with `prefix` (those of an attempt that ended). */
  forget(prefix: string): void {
    for (const id of [...this.inputs.keys()]) if (id.startsWith(prefix)) this.inputs.delete(id);
    for (const id of [...this.earlyOpens.keys()]) if (id.startsWith(prefix)) this.earlyOpens.delete(id);
    for (const connection of this.connections.values()) {
      void connection.then(
        ({ outputs }) => {
          for (const id of [...outputs.keys()]) if (id.startsWith(prefix)) outputs.delete(id);
        },
        () => {},
      );
    }
  }

  /** Wakes producers waiting for credit on channels whose id starts with `prefix` (their tasks are cancelled). */
  releaseOutputs(prefix: string): void {
    for (const connection of this.connections.values()) {
      void connection.then(
        ({ outputs }) => {
          for (const [id, output] of outputs) if (id.startsWith(prefix)) output.release();
        },
        () => {},
      );
    }
  }

  async close(): Promise<void> {
    for (const socket of this.accepted) socket.destroy();
    for (const connection of this.connections.values()) (await connection.catch(() => undefined))?.socket.end();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.accepted.add(socket);
    socket.setNoDelay(true);
    const peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    authenticateClient(socket, this.security.secret, `data connection from ${peer}`).then(
      (initial) => this.serve(socket, initial),
      (error: Error) => {
        // Refused before a frame was read: nothing of it reached a channel.
        logger('network').warn({ peer }, error.message);
        this.accepted.delete(socket);
        socket.destroy();
      },
    );
  }

  private serve(socket: Socket, initial: Buffer): void {
    const bound = new Set<RemoteInputChannel>();
    const onData = frameReader(socket, (frame) => this.onProducerFrame(socket, frame, bound));
    socket.on('data', onData);
    const lost = (reason: string) => {
      if (this.accepted.delete(socket))
        logger('network').debug(
          { peer: socket.remoteAddress, channels: bound.size, reason },
          'producer connection ended',
        );
      for (const channel of bound) channel.disconnected(reason);
    };
    socket.on('error', (error) => lost(error.message));
    socket.on('close', () => lost('the connection closed before end of input'));
    if (initial.length > 0) onData(initial);
    socket.resume();
  }

  private onProducerFrame(socket: Socket, frame: Frame, bound: Set<RemoteInputChannel>): void {
    const channel = this.inputs.get(frame.channel);
    if (frame.type === FrameType.OPEN) {
      if (channel) {
        channel.bind(socket);
        bound.add(channel);
      } else this.earlyOpens.set(frame.channel, { socket, data: [] });
      return;
    }
    if (frame.type !== FrameType.DATA) return;
    if (channel) channel.deliver(frame.payload);
    else this.earlyOpens.get(frame.channel)?.data.push(frame.payload);
  }

  private connection(address: Address): Promise<{ socket: Socket; outputs: Map<string, RemoteOutputChannel> }> {
    const key = `${address.host}:${address.port}`;
    let connection = this.connections.get(key);
    if (!connection) {
      connection = new Promise((resolve, reject) => {
        const socket = connect(address.host, address.port, this.security, () => {
          authenticateToServer(socket, this.security.secret, `TaskManager ${key}`).then(
            (initial) => {
              logger('network').debug({ peer: key }, 'connected to a TaskManager for data exchange');
              socket.on('data', onData);
              if (initial.length > 0) onData(initial);
              socket.resume();
              resolve({ socket, outputs });
            },
            (error: Error) => {
              socket.destroy();
              lost(error.message);
            },
          );
        });
        socket.setNoDelay(true);
        const outputs = new Map<string, RemoteOutputChannel>();
        const onData = frameReader(socket, (frame) => {
          if (frame.type === FrameType.CREDIT) outputs.get(frame.channel)?.addCredits(frame.payload.readUInt32BE(0));
        });
        const lost = (reason: string) => {
          // Only this connection's entry: a newer one to the same peer may have replaced it.
          if (this.connections.get(key) !== connection) return;
          logger('network').debug({ peer: key, channels: outputs.size, reason }, 'data exchange connection ended');
          this.connections.delete(key);
          for (const [id, output] of outputs) output.fail(new PeerLostError(id, key, reason));
          reject(new BrookError('BROOK_NETWORK', `cannot connect to ${key}: ${reason}`));
        };
        socket.on('error', (error) => lost(error.message));
        socket.on('close', () => lost('the connection closed'));
      });
      this.connections.set(key, connection);
    }
    return connection;
  }
}
