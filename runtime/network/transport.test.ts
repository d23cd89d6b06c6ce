// Brook's own connections with cluster.encryption: what crosses the wire is
// TLS 1.3 (a relay in the middle never sees the payload), a peer without the
// key or without encryption is refused on both ends with a reason, and the
// default follows the secret.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createTcpServer, connect as connectTcp, type Server, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { configSchema } from '../config/schema.ts';
import { eventually } from '../testing/wait-until.ts';
import { connect, createServer, EncryptionWithoutSecretError, type ConnectionSecurity } from './transport.ts';

const SECRET = 'the cluster secret of a test job';
const MARKER = 'PLAINTEXT-MARKER-0123456789';

async function listening(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

/** A TCP relay on loopback that forwards both ways and keeps every byte it saw. */
async function relay(targetPort: number): Promise<{ port: number; seen: () => Buffer; close: () => void }> {
  const chunks: Buffer[] = [];
  const sockets: Socket[] = [];
  const server = createTcpServer((inbound) => {
    const outbound = connectTcp({ host: '127.0.0.1', port: targetPort });
    sockets.push(inbound, outbound);
    for (const [from, to] of [
      [inbound, outbound],
      [outbound, inbound],
    ] as const) {
      from.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        to.write(chunk);
      });
      from.on('close', () => to.destroy());
      from.on('error', () => to.destroy());
    }
  });
  const port = await listening(server);
  return {
    port,
    seen: () => Buffer.concat(chunks),
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

/** A server that echoes what it receives; records refusals. */
async function echoServer(security: ConnectionSecurity) {
  const refusals: string[] = [];
  const received: Buffer[] = [];
  const accepted: Socket[] = [];
  const server = createServer(
    security,
    (socket) => {
      accepted.push(socket);
      socket.on('data', (chunk: Buffer) => {
        received.push(chunk);
        socket.write(chunk);
      });
      socket.on('error', () => {});
    },
    (peer, reason) => refusals.push(`${peer}: ${reason}`),
  );
  const port = await listening(server);
  return { server, port, refusals, received, accepted };
}

/** Connects, sends the marker and resolves with the echo, or rejects with the connection's error. */
function roundTrip(port: number, security: ConnectionSecurity): Promise<{ echo: string; socket: Socket }> {
  return new Promise((resolve, reject) => {
    let echo = '';
    const socket = connect('127.0.0.1', port, security, () => socket.write(MARKER));
    socket.on('data', (chunk: Buffer) => {
      echo += chunk.toString();
      if (echo.length >= MARKER.length) resolve({ echo, socket });
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('closed before the echo')));
  });
}

test('with encryption, the wire carries TLS 1.3: a relay in the middle never sees the payload', async () => {
  const server = await echoServer({ secret: SECRET, encryption: true });
  const middle = await relay(server.port);
  try {
    const { echo, socket } = await roundTrip(middle.port, { secret: SECRET, encryption: true });
    assert.equal(echo, MARKER);
    assert.equal((socket as TLSSocket).getProtocol(), 'TLSv1.3');
    assert.equal((server.accepted[0] as TLSSocket).getProtocol(), 'TLSv1.3');
    assert.equal(Buffer.concat(server.received).toString(), MARKER, 'the server got the payload');
    assert.ok(middle.seen().length > MARKER.length, 'the relay carried the session');
    assert.equal(middle.seen().includes(MARKER), false, 'the relay never saw the payload in the clear');
    socket.destroy();
  } finally {
    middle.close();
    server.server.close();
  }
});

test('without encryption (off, or no secret), the same relay sees the payload: the test above can fail', async () => {
  for (const security of [{ secret: SECRET, encryption: false }, {}]) {
    const server = await echoServer(security);
    const middle = await relay(server.port);
    try {
      const { echo, socket } = await roundTrip(middle.port, security);
      assert.equal(echo, MARKER);
      assert.ok(middle.seen().includes(MARKER), JSON.stringify(security));
      socket.destroy();
    } finally {
      middle.close();
      server.server.close();
    }
  }
});

test('encryption is on by default whenever there is a secret', async () => {
  const server = await echoServer({ secret: SECRET });
  try {
    const { socket } = await roundTrip(server.port, { secret: SECRET });
    assert.equal((socket as TLSSocket).getProtocol(), 'TLSv1.3');
    socket.destroy();
  } finally {
    server.server.close();
  }
});

test('a peer with another secret, without encryption or with it against a plain server is refused with the reason', async () => {
  const encrypted = await echoServer({ secret: SECRET, encryption: true });
  const plain = await echoServer({});
  try {
    // Another key: the TLS handshake fails on both ends.
    await assert.rejects(
      roundTrip(encrypted.port, { secret: 'another secret of the same size!', encryption: true }),
      /TLS handshake failed .*both ends need cluster\.encryption and the same cluster\.secret/,
    );
    // A plain client speaking to a TLS server: refused there before anything is read.
    await assert.rejects(roundTrip(encrypted.port, {}));
    await eventually(
      async () => encrypted.refusals.length,
      (n) => n >= 2,
      'both refusals reported by the server',
    );
    for (const refusal of encrypted.refusals) {
      assert.match(refusal, /^127\.0\.0\.1:\d+: TLS handshake failed \(.+\): both ends need cluster\.encryption/);
    }
    assert.deepEqual(encrypted.received, [], 'nothing reached the server from a refused peer');
    // A TLS client speaking to a plain server: its handshake fails, and says so.
    await assert.rejects(roundTrip(plain.port, { secret: SECRET }), /TLS handshake failed/);
  } finally {
    encrypted.server.close();
    plain.server.close();
  }
});

test('encryption without a secret is refused: in the configuration with the key named, and by the transport', () => {
  const parsed = configSchema.safeParse({ cluster: { encryption: true } });
  assert.equal(parsed.success, false);
  assert.deepEqual(
    parsed.error.issues.map((i) => [i.path.join('.'), i.message]),
    [['cluster.encryption', 'cluster.encryption needs cluster.secret: the TLS key is derived from it']],
  );
  assert.equal(configSchema.safeParse({ cluster: { encryption: false } }).success, true);
  assert.throws(
    () =>
      createServer(
        { encryption: true },
        () => {},
        () => {},
      ),
    EncryptionWithoutSecretError,
  );
  assert.throws(() => connect('127.0.0.1', 1, { encryption: true }, () => {}), EncryptionWithoutSecretError);
});
