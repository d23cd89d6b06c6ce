// Brook's own connections with cluster.encryption: what crosses the wire is
// TLS 1.3 (a relay in the middle never sees the payload), a peer without the
// key or without encryption is refused on both ends with a reason, and the
// default follows the secret.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createTcpServer, connect as connectTcp, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createCertificateServer, type TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { configSchema } from '../config/schema.ts';
import { eventually } from '../testing/wait-until.ts';
import { authenticateClient, PeerAuthenticationError } from './peer-auth.ts';
import { connect, createServer, EncryptionWithoutSecretError, type ConnectionSecurity } from './transport.ts';

const run = promisify(execFile);

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

/** A raw TCP connection that never says a word: a stalled peer, a port scanner. */
async function silentPeer(port: number): Promise<Socket> {
  const socket = connectTcp({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return socket;
}

function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));
}

test(
  'a peer that never finishes the TLS handshake is dropped with a reason after the handshake timeout',
  { timeout: 8000 },
  async () => {
    const server = await echoServer({ secret: SECRET, handshakeTimeoutMs: 200 });
    try {
      const peer = await silentPeer(server.port);
      await closed(peer);
      assert.equal(server.refusals.length, 1);
      assert.match(server.refusals[0]!, /^127\.0\.0\.1:\d+: TLS handshake failed \(.*timed? ?out.*\)/i);
    } finally {
      server.server.close();
    }
  },
);

// The hang guard (not a measure): with the default 10 s handshake timeout, close() must not wait for it.
test('close() drops connections still in their handshake, encrypted or not', { timeout: 8000 }, async () => {
  for (const security of [{ secret: SECRET }, {}]) {
    const server = await echoServer(security);
    const peer = await silentPeer(server.port);
    await eventually(
      () => new Promise<number>((resolve) => server.server.getConnections((_e, n) => resolve(n))),
      (n) => n === 1,
      'the server has the connection',
      5000,
    );
    await Promise.all([new Promise<void>((resolve) => server.server.close(() => resolve())), closed(peer)]);
  }
});

test('a client whose server accepts and never answers gives up with a reason', { timeout: 8000 }, async () => {
  const mute = createTcpServer(() => {});
  const port = await listening(mute);
  try {
    await assert.rejects(
      roundTrip(port, { secret: SECRET, handshakeTimeoutMs: 200 }),
      /TLS handshake failed \(no handshake within 200 ms\): both ends need cluster\.encryption/,
    );
  } finally {
    mute.close();
  }
});

test('a TLS client reaching a plain Brook server is told the peer speaks TLS', async () => {
  let outcome!: Promise<unknown>;
  const plain = createTcpServer((socket) => {
    outcome = authenticateClient(socket, undefined, 'test server').catch((error: unknown) => error);
  });
  const port = await listening(plain);
  try {
    await assert.rejects(roundTrip(port, { secret: SECRET }), /TLS handshake failed/);
    const error = await outcome;
    assert.ok(error instanceof PeerAuthenticationError);
    assert.match(error.message, /the peer speaks TLS: it has cluster\.encryption on, and this process off/);
  } finally {
    plain.close();
  }
});

// A server without the cluster key can still finish a TLS 1.3 handshake by certificate, and the client
// checks no host name. The client runs in a child process that trusts the test's certificate
// (NODE_EXTRA_CA_CERTS), as it would trust one a public CA signed; a plain tls.connect there is the
// control that the certificate is trusted, so only Brook's refusal stops the connection.
test('a server with a trusted certificate but not the cluster key is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'brook-transport-'));
  try {
    const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
    ]);
    const impostor = createCertificateServer({ key: readFileSync(key), cert: readFileSync(cert) }, (socket) => {
      socket.on('error', () => {});
      socket.on('data', (chunk: Buffer) => socket.write(chunk));
    });
    impostor.on('tlsClientError', () => {});
    const port = await listening(impostor);
    const transport = fileURLToPath(new URL('./transport.ts', import.meta.url));
    const client = `
      import { connect as tlsConnect } from 'node:tls';
      import { connect } from ${JSON.stringify(transport)};
      const control = await new Promise((resolve) => {
        const s = tlsConnect({ host: '127.0.0.1', port: ${port}, checkServerIdentity: () => undefined });
        s.once('secureConnect', () => { s.destroy(); resolve('trusted'); });
        s.once('error', (e) => resolve('untrusted: ' + e.message));
      });
      const brook = await new Promise((resolve) => {
        const s = connect('127.0.0.1', ${port}, { secret: ${JSON.stringify(SECRET)} }, () => { s.destroy(); resolve('connected'); });
        s.once('error', (e) => resolve('refused: ' + e.message));
      });
      console.log(JSON.stringify({ control, brook }));`;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', client], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: cert },
      timeout: 30_000,
    });
    impostor.close();
    const { control, brook } = JSON.parse(stdout) as { control: string; brook: string };
    assert.equal(control, 'trusted', 'the certificate is trusted in the client process');
    assert.match(
      brook,
      /^refused: TLS handshake failed \(the server presented a certificate instead of proving the cluster key\)/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
