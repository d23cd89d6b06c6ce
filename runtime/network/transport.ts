// The sockets of Brook's own ports (control 6123, data 6121): plain TCP, or,
// with cluster.encryption, TLS 1.3 keyed by cluster.secret. A pre-shared key
// (derived from the secret) needs no certificates to issue, mount or rotate,
// and TLS 1.3 still makes an ephemeral key exchange per connection, so a
// recorded session stays secret even if the cluster secret leaks later.
// peer-auth.ts then runs inside the TLS session as before.
import { hkdfSync } from 'node:crypto';
import { connect as connectTcp, createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { connect as connectTls, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { BrookError } from '../errors.ts';
import { HANDSHAKE_TIMEOUT_MS } from './peer-auth.ts';

export interface ConnectionSecurity {
  /** cluster.secret: proved on every connection (peer-auth.ts), and the TLS key with encryption. */
  secret?: string;
  /** cluster.encryption: TLS on every connection; needs the secret. Default: on whenever there is a secret. */
  encryption?: boolean;
  /** How long a TLS handshake may take before the peer is dropped; tests shorten it. */
  handshakeTimeoutMs?: number;
}

/** The identity both ends name: there is one key per cluster, so it only labels the key's purpose. */
const PSK_IDENTITY = 'brook-cluster';
/** Suites whose hash is SHA-256, as a TLS 1.3 external PSK requires; AES-GCM first (hardware-accelerated). */
const CIPHERS = 'TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256';

export class EncryptionWithoutSecretError extends BrookError {
  constructor() {
    super('BROOK_CONFIG_INVALID', 'cluster.encryption needs cluster.secret: the TLS key is derived from it');
  }
}

/** The TLS key: the secret stretched and bound to this use, so it is never the HMAC key of peer-auth itself. */
function presharedKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'brook', 'cluster.encryption tls 1.3 psk', 32));
}

function tlsKey(security: ConnectionSecurity): Buffer | undefined {
  if (!(security.encryption ?? security.secret !== undefined)) return undefined;
  if (security.secret === undefined) throw new EncryptionWithoutSecretError();
  return presharedKey(security.secret);
}

/**
 * A server whose connections reach `onConnection` once they are usable (after the TLS handshake with
 * encryption). A peer that fails the handshake, or does not finish it in time, is reported to `onRefused`
 * and dropped. close() also drops every connection still open, so a stalled peer cannot hold it.
 */
export function createServer(
  security: ConnectionSecurity,
  onConnection: (socket: Socket) => void,
  onRefused: (peer: string, reason: string) => void,
): Server {
  const key = tlsKey(security);
  const server =
    key === undefined
      ? createTcpServer(onConnection)
      : createTlsServer(
          {
            minVersion: 'TLSv1.3',
            ciphers: CIPHERS,
            pskCallback: (_socket, identity) => (identity === PSK_IDENTITY ? key : null),
            handshakeTimeout: security.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS,
          },
          onConnection,
        );
  server.on('tlsClientError', (error: Error, socket: TLSSocket) => {
    const peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    socket.destroy();
    onRefused(peer, `TLS handshake failed (${error.message.trim()}): ${mismatchHint}`);
  });
  return dropConnectionsOnClose(server);
}

/**
 * A connection in its TLS handshake belongs to no caller yet, so only the server can drop it; and
 * net.Server.close() waits for every connection to end. Callers already destroy the connections they
 * were handed when they close, so dropping all of them here changes nothing for those.
 */
function dropConnectionsOnClose(server: Server): Server {
  const open = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  const close = server.close.bind(server);
  server.close = (callback?: (error?: Error) => void) => {
    close(callback);
    for (const socket of open) socket.destroy();
    return server;
  };
  return server;
}

const mismatchHint = 'both ends need cluster.encryption and the same cluster.secret';

/**
 * Connects to `host:port`; `onConnected` runs once the socket is usable (after the TLS handshake with
 * encryption). A failed handshake is an 'error' whose message says so.
 */
export function connect(
  host: string,
  port: number,
  security: ConnectionSecurity,
  onConnected: (socket: Socket) => void,
): Socket {
  const key = tlsKey(security);
  if (key === undefined) {
    const socket = connectTcp({ host, port });
    socket.once('connect', () => onConnected(socket));
    return socket;
  }
  const timeoutMs = security.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS;
  const socket = connectTls({
    host,
    port,
    minVersion: 'TLSv1.3',
    ciphers: CIPHERS,
    pskCallback: () => ({ psk: key, identity: PSK_IDENTITY }),
    // The key authenticates the server; there is no certificate (and no host name) to check.
    checkServerIdentity: () => undefined,
  });
  let secured = false;
  socket.prependOnceListener('error', (error: Error) => {
    if (!secured) error.message = `TLS handshake failed (${error.message.trim()}): ${mismatchHint}`;
  });
  // A server that accepts the connection and never answers must not hold this end forever.
  socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no handshake within ${timeoutMs} ms`)));
  socket.once('secureConnect', () => {
    socket.setTimeout(0);
    // Only the cluster key may authenticate the server. A server without it can still finish a
    // handshake with a certificate a public CA signed, and we check no host name: refuse any certificate.
    if (Object.keys(socket.getPeerCertificate()).length > 0) {
      socket.destroy(new Error('the server presented a certificate instead of proving the cluster key'));
      return;
    }
    secured = true;
    onConnected(socket);
  });
  return socket;
}
