// The connector's SASL and TLS options, without a broker: what each maps to in
// @platformatic/kafka's client options, that every client option set the
// connector builds carries them, that bad ones are refused by field, and that
// secrets never show when settings or client options are printed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { clientOptions } from './admin.ts';
import { kafkaSinkConfigSchema, kafkaSourceConfigSchema, parseConfig } from './config.ts';
import { KafkaConfigError } from './errors.ts';
import { clientSecurityOptions } from './security.ts';

const PASSWORD = 'pa55-w0rd-never-printed';
const PRIVATE_KEY = '-----BEGIN PRIVATE KEY-----\nnever-printed\n-----END PRIVATE KEY-----';

const source = (extra: Record<string, unknown>) =>
  parseConfig(kafkaSourceConfigSchema, { bootstrapServers: 'b:9092', topics: ['t'], ...extra }, 'Kafka source');
const sink = (extra: Record<string, unknown>) =>
  parseConfig(kafkaSinkConfigSchema, { bootstrapServers: 'b:9092', topic: 't', ...extra }, 'Kafka sink');

/** The client options with credential providers called, as the client calls them when it authenticates. */
function resolved(options: ReturnType<typeof clientSecurityOptions>): unknown {
  const { sasl, ...rest } = options;
  if (!sasl) return rest;
  const call = (v: unknown) => (typeof v === 'function' ? (v as () => unknown)() : v);
  return { ...rest, sasl: { mechanism: sasl.mechanism, username: call(sasl.username), password: call(sasl.password) } };
}

test('SASL and TLS options map to the client options @platformatic/kafka takes', () => {
  const cases: [string, Record<string, unknown>, unknown][] = [
    ['neither: plaintext, unauthenticated', {}, {}],
    [
      'SASL/PLAIN is the default mechanism',
      { sasl: { username: 'brook', password: PASSWORD } },
      { sasl: { mechanism: 'PLAIN', username: 'brook', password: PASSWORD } },
    ],
    [
      'scram-sha-256, as the configuration file writes it',
      { sasl: { mechanism: 'scram-sha-256', username: 'brook', password: PASSWORD } },
      { sasl: { mechanism: 'SCRAM-SHA-256', username: 'brook', password: PASSWORD } },
    ],
    [
      'SCRAM-SHA-512, as Kafka writes it',
      { sasl: { mechanism: 'SCRAM-SHA-512', username: 'brook', password: PASSWORD } },
      { sasl: { mechanism: 'SCRAM-SHA-512', username: 'brook', password: PASSWORD } },
    ],
    [
      'tls: true verifies against the system CAs, SNI from the broker host',
      { tls: true },
      {
        tls: { rejectUnauthorized: true },
        tlsServerName: true,
      },
    ],
    ['tls: false is plaintext', { tls: false }, {}],
    [
      'mutual TLS with a private CA and a fixed server name',
      { tls: { ca: 'CA PEM', cert: 'CERT PEM', key: PRIVATE_KEY, servername: 'kafka.internal' } },
      {
        tls: { rejectUnauthorized: true, ca: 'CA PEM', cert: 'CERT PEM', key: PRIVATE_KEY },
        tlsServerName: 'kafka.internal',
      },
    ],
    [
      'SASL over TLS without certificate checks',
      { sasl: { mechanism: 'plain', username: 'u', password: 'p' }, tls: { rejectUnauthorized: false } },
      {
        sasl: { mechanism: 'PLAIN', username: 'u', password: 'p' },
        tls: { rejectUnauthorized: false },
        tlsServerName: true,
      },
    ],
  ];
  for (const [name, extra, expected] of cases) {
    assert.deepEqual(resolved(clientSecurityOptions(source(extra))), expected, `source: ${name}`);
    assert.deepEqual(resolved(clientSecurityOptions(sink(extra))), expected, `sink: ${name}`);
  }
});

test('clientOptions, from which every consumer, producer and admin of the connector is built, carries them', () => {
  const settings = sink({ sasl: { username: 'brook', password: PASSWORD }, tls: true });
  const options = clientOptions(settings, 'sink-0');
  assert.equal(options.clientId, 'brook-sink-0');
  assert.equal(options.sasl?.mechanism, 'PLAIN');
  assert.deepEqual(options.tls, { rejectUnauthorized: true });
  assert.equal(options.tlsServerName, true);
  // Without security options the clients get no security keys at all (the client's plaintext default).
  const plain = clientOptions(source({}), 'admin');
  for (const key of ['sasl', 'tls', 'tlsServerName']) assert.ok(!(key in plain), key);
});

test('bad SASL and TLS options are refused, each named by its field', () => {
  assert.throws(
    () =>
      source({
        sasl: { mechanism: 'gssapi', username: '', password: PASSWORD, realm: 'X' },
        tls: { verify: true },
      }),
    (error: unknown) => {
      assert.ok(error instanceof KafkaConfigError);
      assert.match(error.message, /sasl\.mechanism: /);
      assert.match(error.message, /sasl\.username: /);
      assert.match(error.message, /sasl: Unrecognized key: "realm"/);
      assert.match(error.message, /tls/);
      assert.doesNotMatch(error.message, new RegExp(PASSWORD));
      return true;
    },
  );
  assert.throws(() => sink({ sasl: { username: 'brook' } }), /sasl\.password: /);
});

test('printed settings and client options show no password and no private key', () => {
  const settings = source({
    sasl: { mechanism: 'plain', username: 'brook', password: PASSWORD },
    tls: { key: PRIVATE_KEY, cert: 'CERT PEM' },
  });
  const printed = [
    inspect(settings, { depth: 10 }),
    JSON.stringify(settings),
    inspect(clientOptions(settings, 'admin'), { depth: 10 }),
    JSON.stringify(clientOptions(settings, 'admin')),
  ];
  for (const text of printed) {
    assert.doesNotMatch(text, new RegExp(PASSWORD));
    assert.doesNotMatch(text, /never-printed/);
  }
  // What is printed is the masked configuration (runtime/config/masking.ts), not nothing.
  assert.match(printed[0]!, /password: '\*\*\*'/);
  assert.match(printed[1]!, /"key":"\*\*\*"/);
  assert.match(printed[0]!, /username: 'brook'/);
  // The values themselves are intact for the client.
  assert.equal(settings.sasl?.password, PASSWORD);
  assert.equal(typeof settings.tls === 'object' && settings.tls.key, PRIVATE_KEY);
});
