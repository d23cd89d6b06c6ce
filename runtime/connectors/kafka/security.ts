// How the connector authenticates to brokers and encrypts the connection: the
// `sasl` and `tls` options (the same shape as the configuration's `kafka`
// section) and their mapping to @platformatic/kafka's client options.
import { inspect } from 'node:util';
import type { ConnectionOptions } from '@platformatic/kafka';
import { z } from 'zod';
import { maskSecrets } from '../../config/masking.ts';

const mechanisms = { plain: 'PLAIN', 'scram-sha-256': 'SCRAM-SHA-256', 'scram-sha-512': 'SCRAM-SHA-512' } as const;

/** Prints (util.inspect, JSON, logs) with its secrets masked, as printed configuration is. */
function maskedWhenPrinted<T extends object>(value: T, key: string): T {
  const masked = () => maskSecrets({ ...value }, key);
  return Object.defineProperties(value, {
    toJSON: { value: masked },
    [inspect.custom]: {
      value: (_depth: number, options: object, print: typeof inspect) => print(masked(), options),
    },
  });
}

export const saslOption = z
  .object({
    /** `plain` (default), `scram-sha-256` or `scram-sha-512`; any letter case (`SCRAM-SHA-512`). */
    mechanism: z
      .preprocess(
        (v) => (typeof v === 'string' ? v.toLowerCase() : v),
        z.enum(Object.keys(mechanisms) as [keyof typeof mechanisms, ...(keyof typeof mechanisms)[]]),
      )
      .default('plain'),
    username: z.string().min(1),
    password: z.string(),
  })
  .strict()
  .transform((sasl) => maskedWhenPrinted(sasl, 'sasl'));

export const tlsOption = z.union([
  z.boolean(),
  z
    .object({
      /** PEM of the CA to trust (default: the system's CAs). */
      ca: z.string().optional(),
      /** PEM client certificate and its private key, for mutual TLS. */
      cert: z.string().optional(),
      key: z.string().optional(),
      /** Server name for SNI and the certificate check (default: each broker's host). */
      servername: z.string().min(1).optional(),
      rejectUnauthorized: z.boolean().default(true),
    })
    .strict()
    .transform((tls) => maskedWhenPrinted(tls, 'tls')),
]);

export interface SecuritySettings {
  sasl?: z.output<typeof saslOption>;
  tls?: z.output<typeof tlsOption>;
}

/** What every client the connector creates (consumers, producers, admins, connection pools) gets. */
export type ClientSecurityOptions = Pick<ConnectionOptions, 'sasl' | 'tls' | 'tlsServerName'>;

/**
 * The client options for `settings`' SASL and TLS; empty for a plaintext, unauthenticated cluster.
 * Credentials go to the client as functions and the TLS options print masked, so a printed
 * client shows no password and no private key.
 *
 * @example
 * new Producer({ clientId, bootstrapBrokers, ...clientSecurityOptions({ sasl: { mechanism: 'plain', username, password } }) })
 */
export function clientSecurityOptions(settings: SecuritySettings): ClientSecurityOptions {
  const options: ClientSecurityOptions = {};
  const { sasl, tls } = settings;
  if (sasl) {
    const { username, password } = sasl;
    options.sasl = { mechanism: mechanisms[sasl.mechanism], username: () => username, password: () => password };
  }
  if (tls) {
    const given = tls === true ? undefined : tls;
    options.tls = maskedWhenPrinted(
      {
        rejectUnauthorized: given?.rejectUnauthorized ?? true,
        ...(given?.ca !== undefined && { ca: given.ca }),
        ...(given?.cert !== undefined && { cert: given.cert }),
        ...(given?.key !== undefined && { key: given.key }),
      },
      'tls',
    );
    // Node sends no SNI unless told; brokers behind SNI routing (most managed Kafka) need it.
    options.tlsServerName = given?.servername ?? true;
  }
  return options;
}
