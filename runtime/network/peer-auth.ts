// Mutual authentication of Brook's own connections (control 6123, data 6121)
// before any message crosses: with `cluster.secret` set, each end proves it
// knows the secret by an HMAC-SHA256 over both ends' fresh nonces, so a process
// without it can neither register as a TaskManager (and receive the job's
// configuration and state) nor inject records, nor pose as the JobManager.
// The secret itself never crosses. Without a secret both ends say so and go on;
// a secret on one end only is refused with an error naming the mismatch.
//
//   server → client: "BRK" 0x01 | u8 flags (1: secret) | 32-byte server nonce
//   client → server: "BRK" 0x01 | u8 flags | 32-byte client nonce | 32-byte client proof
//   server → client: u8 verdict (0: accepted, 1: refused) | 32-byte server proof
//
// This authenticates; transport.ts encrypts (TLS keyed by the same secret), and
// this exchange then runs inside the TLS session.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import { BrookError } from '../errors.ts';

const MAGIC = Buffer.from('BRK\x01', 'latin1');
const NONCE = 32;
const MAC = 32;
const SERVER_HELLO = MAGIC.length + 1 + NONCE;
const CLIENT_HELLO = MAGIC.length + 1 + NONCE + MAC;
const VERDICT = 1 + MAC;
/** A peer that does not finish the exchange in this time is dropped (it holds a socket). */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

export class PeerAuthenticationError extends BrookError {
  constructor(what: string, reason: string) {
    super('BROOK_PEER_AUTHENTICATION', `${what}: ${reason}`);
  }
}

function proof(secret: string, role: 'client' | 'server', first: Buffer, second: Buffer): Buffer {
  return createHmac('sha256', secret).update(role).update(first).update(second).digest();
}

function sameMac(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Reads exactly `length` bytes, then stops listening; resolves with them and any bytes after. */
function readExactly(socket: Socket, length: number, what: string): Promise<{ bytes: Buffer; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const timer = setTimeout(
      () => done(new PeerAuthenticationError(what, `no handshake within ${HANDSHAKE_TIMEOUT_MS} ms`)),
      HANDSHAKE_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received >= length) done();
    };
    const onEnd = () =>
      done(
        new PeerAuthenticationError(
          what,
          'the connection closed during the handshake (a peer with cluster.encryption drops one without it: both ends need the same cluster.encryption)',
        ),
      );
    const onError = (error: Error) => done(new PeerAuthenticationError(what, error.message));
    function done(error?: Error) {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onEnd);
      socket.off('error', onError);
      // Hold further bytes until the protocol attaches its own listener.
      socket.pause();
      if (error) return reject(error);
      const all = Buffer.concat(chunks);
      resolve({ bytes: all.subarray(0, length), rest: all.subarray(length) });
    }
    socket.on('data', onData);
    socket.once('close', onEnd);
    socket.once('error', onError);
    socket.resume();
  });
}

/** A TLS record header: handshake (0x16) or alert (0x15), protocol major version 3. */
function looksLikeTls(bytes: Buffer): boolean {
  return (bytes[0] === 0x16 || bytes[0] === 0x15) && bytes[1] === 0x03;
}

function checkMagic(bytes: Buffer, what: string): void {
  if (looksLikeTls(bytes))
    throw new PeerAuthenticationError(what, 'the peer speaks TLS: it has cluster.encryption on, and this process off');
  if (!bytes.subarray(0, MAGIC.length).equals(MAGIC))
    throw new PeerAuthenticationError(what, 'the peer does not speak Brook’s protocol (or another Brook version)');
}

/**
 * The accepting end. Resolves with the bytes that followed the handshake once
 * the peer is accepted; rejects (after telling the peer) when it is not.
 */
export async function authenticateClient(socket: Socket, secret: string | undefined, what: string): Promise<Buffer> {
  const serverNonce = randomBytes(NONCE);
  socket.write(Buffer.concat([MAGIC, Buffer.from([secret ? 1 : 0]), serverNonce]));
  const { bytes, rest } = await readExactly(socket, CLIENT_HELLO, what);
  checkMagic(bytes, what);
  const clientHasSecret = bytes[MAGIC.length] === 1;
  const clientNonce = bytes.subarray(MAGIC.length + 1, MAGIC.length + 1 + NONCE);
  const clientProof = bytes.subarray(MAGIC.length + 1 + NONCE);
  let refusal: string | undefined;
  if (secret && !clientHasSecret) refusal = 'the peer has no cluster.secret, and this process requires one';
  else if (!secret && clientHasSecret) refusal = 'the peer has a cluster.secret, and this process has none';
  else if (secret && !sameMac(clientProof, proof(secret, 'client', serverNonce, clientNonce)))
    refusal = 'the peer’s cluster.secret differs from this process’s';
  const serverProof = secret && !refusal ? proof(secret, 'server', clientNonce, serverNonce) : Buffer.alloc(MAC);
  socket.write(Buffer.concat([Buffer.from([refusal ? 1 : 0]), serverProof]));
  if (refusal) {
    socket.end();
    throw new PeerAuthenticationError(what, refusal);
  }
  return rest;
}

/** The connecting end: proves the secret and checks the server's proof. Resolves with any bytes after. */
export async function authenticateToServer(socket: Socket, secret: string | undefined, what: string): Promise<Buffer> {
  const hello = await readExactly(socket, SERVER_HELLO, what);
  checkMagic(hello.bytes, what);
  const serverHasSecret = hello.bytes[MAGIC.length] === 1;
  const serverNonce = hello.bytes.subarray(MAGIC.length + 1);
  const clientNonce = randomBytes(NONCE);
  const clientProof = secret ? proof(secret, 'client', serverNonce, clientNonce) : Buffer.alloc(MAC);
  socket.write(Buffer.concat([MAGIC, Buffer.from([secret ? 1 : 0]), clientNonce, clientProof]));
  const { bytes, rest } = await readExactly(socket, VERDICT, what);
  if (bytes[0] !== 0) {
    socket.destroy();
    const reason = !secret
      ? 'the peer requires a cluster.secret, and this process has none'
      : !serverHasSecret
        ? 'the peer has no cluster.secret, and this process has one'
        : 'the peer refused this process’s cluster.secret (they differ)';
    throw new PeerAuthenticationError(what, reason);
  }
  // A server that accepted without a secret while we hold one would be a downgrade: never go on.
  if (secret && (!serverHasSecret || !sameMac(bytes.subarray(1), proof(secret, 'server', clientNonce, serverNonce)))) {
    socket.destroy();
    throw new PeerAuthenticationError(what, 'the peer could not prove it knows cluster.secret');
  }
  return rest;
}
