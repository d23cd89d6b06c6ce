// The Kafka connector against a broker listener that requires SASL: an
// exactly-once job whose only address is that listener reads, dead-letters,
// commits group offsets and writes transactions, so every client it creates
// (consumers, admins, producers, the committer's coordinator connections)
// authenticated; wrong or missing credentials fail the job. Setup and checks
// go through the broker's plaintext listener, independently of the connector.
import assert from 'node:assert/strict';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { alterUserScramCredentialsV0, ConnectionPool, describeUserScramCredentialsV0 } from '@platformatic/kafka';
import { PrivateKafka } from '../../../scripts/testenv/private-kafka.ts';
import { JobExecutionError, StreamEnvironment } from '../../index.ts';
import { describeCauseChain } from '../../errors.ts';
import { kafkaSink } from './kafka-sink.ts';
import { kafkaSource } from './kafka-source.ts';
import { KafkaTestCluster, uniqueName } from './testing.ts';

const USER = 'brook';
const PASSWORD = `secret-${randomBytes(6).toString('hex')}`;
const SCRAM_USER = 'brook-scram';
const SCRAM_PASSWORD = `scram-${randomBytes(6).toString('hex')}`;

const root = mkdtempSync(join(tmpdir(), 'brook-kafka-security-'));
let broker: PrivateKafka;
let cluster: KafkaTestCluster;
/** The SASL_PLAINTEXT listener: the only address the jobs are given. */
let saslBrokers: string[];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A SASL_PLAINTEXT listener beside the broker's plaintext one (which private-kafka
 * probes and the checks use): PLAIN with a user in the JAAS config, SCRAM-SHA-512
 * with credentials stored in the cluster. Appended to server.properties, where later keys win.
 */
function addSaslListener(dataDir: string, ports: { broker: number; controller: number }, sasl: number): void {
  const properties = {
    listeners: `PLAINTEXT://127.0.0.1:${ports.broker},CONTROLLER://127.0.0.1:${ports.controller},SASL_PLAINTEXT://127.0.0.1:${sasl}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${ports.broker},SASL_PLAINTEXT://127.0.0.1:${sasl}`,
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
    'listener.name.sasl_plaintext.sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-512',
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required user_${USER}="${PASSWORD}";`,
    'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config':
      'org.apache.kafka.common.security.scram.ScramLoginModule required;',
  };
  const lines = Object.entries(properties).map(([key, value]) => `${key}=${value}`);
  appendFileSync(join(dataDir, 'server.properties'), `\n${lines.join('\n')}\n`);
}

/** Stores SCRAM-SHA-512 credentials (RFC 5802 salted password, computed here) through the plaintext listener. */
async function addScramUser(user: string, password: string): Promise<void> {
  const pool = new ConnectionPool('brook-test-scram-admin', { requestTimeout: 10_000 });
  try {
    const [host, port] = broker.brokers[0]!.split(':');
    const connection = await pool.get({ host: host!, port: Number(port) });
    const salt = randomBytes(32);
    const iterations = 4096;
    const saltedPassword = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
    const SCRAM_SHA_512 = 2;
    const altered = await alterUserScramCredentialsV0.api.async(
      connection,
      [],
      [{ name: user, mechanism: SCRAM_SHA_512, iterations, salt, saltedPassword }],
    );
    assert.deepEqual(
      altered.results.map((r) => [r.user, r.errorCode]),
      [[user, 0]],
    );
    // Stored through the controller: wait until the broker describes it (it then authenticates with it).
    for (let attempt = 0; ; attempt++) {
      const described = await describeUserScramCredentialsV0.api.async(connection, [{ name: user }]);
      if (described.results[0]?.credentialInfos.length) return;
      if (attempt >= 100) throw new Error(`SCRAM credentials of ${user} never showed`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await pool.close();
  }
}

before(async () => {
  broker = await PrivateKafka.create();
  const saslPort = await freePort();
  addSaslListener(broker.dataDir, broker.ports, saslPort);
  await broker.start();
  saslBrokers = [`127.0.0.1:${saslPort}`];
  cluster = new KafkaTestCluster(broker.brokers);
  await addScramUser(SCRAM_USER, SCRAM_PASSWORD);
});

after(async () => {
  await cluster?.close();
  await broker?.close();
  rmSync(root, { recursive: true, force: true });
});

type Sasl = { mechanism?: string; username: string; password: string };

/** Few retries: a refused login fails the job in seconds instead of retrying for a minute. */
const connection = (sasl: Sasl | undefined) => ({
  bootstrapServers: saslBrokers,
  retries: 3,
  requestTimeoutMs: 5000,
  ...(sasl && { sasl }),
});

/** input (JSON numbers and one bad record) → doubled → exactly-once sink; dead letters to a topic. */
async function copyJob(name: string, sasl: Sasl | undefined) {
  const input = await cluster.createTopic(`${name}-in`, 2);
  const output = await cluster.createTopic(`${name}-out`, 2);
  const deadLetters = await cluster.createTopic(`${name}-dlq`, 1);
  const numbers = Array.from({ length: 300 }, (_, i) => i);
  await cluster.produce([
    ...numbers.map((n) => ({ topic: input, key: `k${n % 7}`, value: JSON.stringify(n) })),
    { topic: input, key: 'bad', value: 'not json', partition: 0 },
  ]);
  const env = new StreamEnvironment()
    .setParallelism(2)
    .enableCheckpointing(100)
    .setCheckpointStorage(`file://${root}/${name}`)
    .setRestartStrategy({ kind: 'none' });
  env
    .fromSource(
      kafkaSource({
        ...connection(sasl),
        topics: [input],
        value: 'json',
        bounded: true,
        deadLetter: { topic: deadLetters },
        map: (record) => 2 * (record.value as number),
      }),
    )
    .uid('in')
    .sinkTo(
      kafkaSink<number>({
        ...connection(sasl),
        topic: output,
        value: (n) => String(n),
        deliveryGuarantee: 'exactly-once',
        transactionalIdPrefix: uniqueName(name),
      }),
    )
    .uid('out');
  return { env, output, deadLetters, expected: numbers.map((n) => String(2 * n)) };
}

for (const [mechanism, username, password] of [
  ['plain', USER, PASSWORD],
  ['SCRAM-SHA-512', SCRAM_USER, SCRAM_PASSWORD],
] as const) {
  test(
    `an exactly-once job whose only broker address requires SASL (${mechanism}) discovers, reads, dead-letters and writes`,
    { timeout: 120_000 },
    async () => {
      const job = await copyJob(`sasl-${mechanism.toLowerCase()}`, { mechanism, username, password });
      await job.env.execute(`sasl-${mechanism}`);
      // Checked over the plaintext listener, by the test's own reader: each doubled number once.
      const written = await cluster.readCommitted(job.output, job.expected.length);
      assert.deepEqual(written.map((r) => r.value).sort(), [...job.expected].sort());
      const dead = await cluster.readCommitted(job.deadLetters, 1);
      assert.deepEqual(
        dead.map((r) => r.value),
        ['not json'],
      );
    },
  );
}

test('a wrong password, or none, fails the job on the SASL listener', { timeout: 120_000 }, async () => {
  for (const [label, sasl] of [
    ['wrong password', { mechanism: 'plain', username: USER, password: `${PASSWORD}-wrong` }],
    ['no credentials', undefined],
  ] as const) {
    const job = await copyJob(`refused-${label.replace(' ', '-')}`, sasl);
    await assert.rejects(job.env.execute(`refused-${label}`), (error: unknown) => {
      assert.ok(error instanceof JobExecutionError, `${label}: ${describeCauseChain(error)}`);
      if (sasl) assert.match(describeCauseChain(error), /SASL_AUTHENTICATION_FAILED/, label);
      assert.doesNotMatch(describeCauseChain(error), new RegExp(PASSWORD), label);
      return true;
    });
  }
});
