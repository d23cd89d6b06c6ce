// cluster.secret on Brook's own connections: both ends prove the secret before
// a byte of the protocol crosses; any mismatch is refused on both ends with an
// error that says which side lacks or differs; the secret never crosses.
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, test } from 'node:test';
import { DataExchange } from './data-exchange.ts';
import { authenticateClient, authenticateToServer, PeerAuthenticationError } from './peer-auth.ts';

const SECRET = 'correct horse battery staple';
const servers: Server[] = [];
after(() => {
  for (const server of servers) server.close();
});

interface Outcome {
  server: Buffer | Error;
  client: Buffer | Error;
  /** Everything the server received from the client, to check the secret never crossed. */
  wire: Buffer;
}

/** One connection on loopback; each end runs its half of the handshake, then the client sends `after`. */
async function handshake(serverSecret: string | undefined, clientSecret: string | undefined): Promise<Outcome> {
  let serverResult!: Promise<Buffer | Error>;
  const wire: Buffer[] = [];
  const server = createServer((socket) => {
    socket.on('data', (chunk: Buffer) => wire.push(chunk));
    serverResult = authenticateClient(socket, serverSecret, 'test server').then(
      async (initial) => {
        // Bytes the client sent right after the handshake must reach the protocol.
        const more = await new Promise<Buffer>((resolve) => {
          if (initial.length >= 5) return resolve(initial);
          socket.once('data', (chunk: Buffer) => resolve(Buffer.concat([initial, chunk])));
          socket.resume();
        });
        socket.end();
        return more;
      },
      (error: Error) => error,
    );
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const socket: Socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const client = await authenticateToServer(socket, clientSecret, 'test client').then(
    (initial) => {
      socket.write(Buffer.from('hello'));
      return initial;
    },
    (error: Error) => error,
  );
  const serverOutcome = await serverResult;
  socket.destroy();
  return { server: serverOutcome, client, wire: Buffer.concat(wire) };
}

function refused(outcome: Buffer | Error, pattern: RegExp): void {
  assert.ok(outcome instanceof PeerAuthenticationError, `expected a refusal, got ${String(outcome)}`);
  assert.match(outcome.message, pattern);
}

test('the same secret on both ends: accepted, and the protocol bytes after it arrive intact', async () => {
  const { server, client, wire } = await handshake(SECRET, SECRET);
  assert.ok(Buffer.isBuffer(client));
  assert.equal(String(server), 'hello');
  assert.ok(!wire.includes(Buffer.from(SECRET)), 'the secret itself crossed the wire');
});

test('no secret on either end: accepted (unauthenticated, as before)', async () => {
  const { server, client } = await handshake(undefined, undefined);
  assert.ok(Buffer.isBuffer(client));
  assert.equal(String(server), 'hello');
});

test('a client without the secret is refused, and both ends say why', async () => {
  const { server, client } = await handshake(SECRET, undefined);
  refused(server, /test server: the peer has no cluster.secret, and this process requires one/);
  refused(client, /test client: the peer requires a cluster.secret, and this process has none/);
});

test('a different secret is refused on both ends', async () => {
  const { server, client } = await handshake(SECRET, 'another secret of some length');
  refused(server, /cluster.secret differs/);
  refused(client, /refused this process’s cluster.secret/);
});

test('a client with a secret never talks to a server without one (no downgrade)', async () => {
  const { server, client } = await handshake(undefined, SECRET);
  refused(server, /the peer has a cluster.secret, and this process has none/);
  refused(client, /the peer has no cluster.secret, and this process has one/);
});

test('something that is not Brook is refused before it can send a frame', async () => {
  let serverResult!: Promise<Buffer | Error>;
  const server = createServer((socket) => {
    serverResult = authenticateClient(socket, SECRET, 'test server').catch((error: Error) => error);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = connect({ host: '127.0.0.1', port: (server.address() as { port: number }).port });
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: */*\r\nUser-Agent: curl/8.0 and some more bytes\r\n\r\n');
  refused(await serverResult, /does not speak Brook’s protocol/);
  socket.destroy();
});

test('data exchange with different secrets: the producer fails naming the refusal, no record is delivered', async () => {
  const consumer = new DataExchange({ secret: SECRET });
  const producer = new DataExchange({ secret: 'not the consumer’s secret!' });
  try {
    const address = await consumer.listen('127.0.0.1', 0);
    const input = consumer.inputChannel('job/edge/0->0', 4);
    await assert.rejects(producer.outputChannel('job/edge/0->0', address), /cluster.secret/);
    assert.equal(input.poll(), undefined);
  } finally {
    await producer.close();
    await consumer.close();
  }
});

test('data exchange with the same secret carries records', async () => {
  const consumer = new DataExchange({ secret: SECRET });
  const producer = new DataExchange({ secret: SECRET });
  try {
    const address = await consumer.listen('127.0.0.1', 0);
    const input = consumer.inputChannel('job/edge/0->0', 4);
    const output = await producer.outputChannel('job/edge/0->0', address);
    await output.whenWritable();
    output.push({ kind: 'records', values: [{ n: 1 }, { n: 2 }], timestamps: [1, 2] });
    const deadline = Date.now() + 10_000;
    let item = input.poll();
    while (item === undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      item = input.poll();
    }
    assert.deepEqual(item, { kind: 'records', values: [{ n: 1 }, { n: 2 }], timestamps: [1, 2] });
  } finally {
    await producer.close();
    await consumer.close();
  }
});
