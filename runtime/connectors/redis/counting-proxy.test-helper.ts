// A TCP proxy in front of testenv's Redis for tests: it counts what the client
// sends (socket reads and RESP commands, parsed here, independently of the
// sink) and can cut the connection to simulate Redis going away, or stall it
// to simulate a Redis that keeps the connection open and never answers.
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface CountingProxy {
  readonly port: number;
  /** Socket reads that carried at least one of `commandNames` (how many batches reached the server). */
  readsWith(commandNames: string[]): number;
  /** Commands received, by upper-case name. */
  readonly commands: Map<string, number>;
  /** Drops every connection and refuses new ones until `restore()`. */
  cut(): void;
  restore(): void;
  /**
   * The connections open now stop forwarding, both ways, and stay open: their
   * clients see a Redis that never answers. Later connections forward as usual.
   */
  stall(): void;
  /** Connections stalled so far. */
  readonly stalled: number;
  close(): Promise<void>;
}

/** Parses complete RESP arrays of bulk strings from `buffer`; returns the names and what is left over. */
function parseCommands(buffer: Buffer): { names: string[]; rest: Buffer } {
  const names: string[] = [];
  let at = 0;
  for (;;) {
    const start = at;
    const line = (from: number) => {
      const end = buffer.indexOf('\r\n', from);
      return end < 0 ? undefined : { text: buffer.toString('latin1', from, end), next: end + 2 };
    };
    const header = line(at);
    if (!header) return { names, rest: buffer.subarray(start) };
    let count = Number(header.text.slice(1));
    at = header.next;
    let name: string | undefined;
    while (count-- > 0) {
      const size = line(at);
      if (!size || buffer.length < size.next + Number(size.text.slice(1)) + 2)
        return { names, rest: buffer.subarray(start) };
      const length = Number(size.text.slice(1));
      name ??= buffer.toString('latin1', size.next, size.next + length).toUpperCase();
      at = size.next + length + 2;
    }
    names.push(name ?? '');
  }
}

export async function countingProxy(target: { host: string; port: number }): Promise<CountingProxy> {
  const commands = new Map<string, number>();
  const reads: Set<string>[] = [];
  const sockets = new Set<Socket>();
  const forwarding = new Set<{ stalled: boolean }>();
  let stalled = 0;
  let refusing = false;
  const server: Server = createServer((client) => {
    if (refusing) return void client.destroy();
    const upstream = connect(target);
    sockets.add(client).add(upstream);
    const link = { stalled: false };
    forwarding.add(link);
    let pending: Buffer = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      if (link.stalled) return;
      const parsed = parseCommands(Buffer.concat([pending, chunk]));
      pending = parsed.rest;
      reads.push(new Set(parsed.names));
      for (const name of parsed.names) commands.set(name, (commands.get(name) ?? 0) + 1);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => link.stalled || client.write(chunk));
    const end = () => {
      forwarding.delete(link);
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('proxy has no port');
  return {
    port: address.port,
    commands,
    readsWith: (names) => reads.filter((read) => names.some((n) => read.has(n))).length,
    cut() {
      refusing = true;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      refusing = false;
    },
    stall() {
      for (const link of forwarding) {
        stalled += link.stalled ? 0 : 1;
        link.stalled = true;
      }
    },
    get stalled() {
      return stalled;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
