// Apache Kafka, single node in KRaft mode, from the official jars on Maven
// Central, run with the machine's Java 17.
import { randomBytes } from 'node:crypto';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Admin } from '@platformatic/kafka';
import { cachedDirectory } from '../cache.ts';
import { endpoints, KAFKA_CONTROLLER_PORT, KAFKA_PORT } from '../endpoints.ts';
import { commandExists, runTool } from '../exec.ts';
import { TestenvError } from '../errors.ts';
import type { LaunchSpec } from '../process.ts';
import type { ServiceDefinition } from './service.ts';

// 4.1.x is the newest line @platformatic/kafka declares support for.
export const KAFKA_VERSION = '4.1.2';
const SLF4J_VERSION = '1.7.36'; // Kafka 4.1 still logs through slf4j 1.x
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';

function pom(): string {
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.brook.testenv</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>${KAFKA_VERSION}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>${SLF4J_VERSION}</version></dependency>
  </dependencies>
</project>
`;
}

/** Ports of one KRaft node on 127.0.0.1: clients talk to `broker`, the quorum to `controller`. */
export interface KafkaPorts {
  broker: number;
  controller: number;
}

export interface KafkaNodeOptions {
  ports: KafkaPorts;
  /** server.properties entries that replace or add to the single-node defaults. */
  extraProperties?: Record<string, string>;
  /** JVM flags before the classpath (heap size). */
  jvmOptions?: string[];
}

function serverProperties(dataDir: string, ports: KafkaPorts, extra: Record<string, string>): string {
  const properties: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'controller.quorum.voters': `1@127.0.0.1:${ports.controller}`,
    listeners: `PLAINTEXT://127.0.0.1:${ports.broker},CONTROLLER://127.0.0.1:${ports.controller}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${ports.broker}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': join(dataDir, 'logs'),
    'num.partitions': '1',
    'auto.create.topics.enable': 'true',
    // A single broker: internal topics cannot be replicated; few partitions keep creation fast.
    'offsets.topic.replication.factor': '1',
    'offsets.topic.num.partitions': '4',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'transaction.state.log.num.partitions': '4',
    'share.coordinator.state.topic.replication.factor': '1',
    'share.coordinator.state.topic.min.isr': '1',
    'group.initial.rebalance.delay.ms': '0',
    ...extra,
  };
  return [...Object.entries(properties).map(([key, value]) => `${key}=${value}`), ''].join('\n');
}

/**
 * A KRaft cluster id: 16 random bytes in base64url, as `kafka-storage random-uuid`
 * prints. Like Kafka's Uuid.randomUuid, never one starting with '-', which
 * StorageTool would read as an option (1 start in 64 failed to format).
 */
function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/**
 * Prepares a one-node KRaft cluster (broker and controller) in `dataDir`: writes
 * server.properties for `ports`, formats the storage with a fresh cluster id,
 * and returns the command line that runs it. Used by the shared testenv service
 * and by private brokers (scripts/testenv/private-kafka.ts); the command can be
 * launched again on the same `dataDir` to restart the node with its data.
 */
export async function prepareKafka(classpath: string, dataDir: string, options: KafkaNodeOptions): Promise<LaunchSpec> {
  mkdirSync(dataDir, { recursive: true });
  const config = join(dataDir, 'server.properties');
  writeFileSync(config, serverProperties(dataDir, options.ports, options.extraProperties ?? {}));
  const clusterId = randomClusterId();
  await runTool(
    'kafka',
    'java',
    ['-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', config, '--ignore-formatted'],
    { logFile: join(dataDir, 'format.log') },
  );
  return {
    command: 'java',
    args: [
      ...(options.jvmOptions ?? ['-Xms256m', '-Xmx1g']),
      '-Djava.awt.headless=true',
      '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
      '-cp',
      classpath,
      'kafka.Kafka',
      config,
    ],
  };
}

export const kafka: ServiceDefinition<{ classpath: string }> = {
  name: 'kafka',
  ports: [KAFKA_PORT, KAFKA_CONTROLLER_PORT],
  processMarker: 'kafka.Kafka',
  readyTimeoutMs: 90_000,

  async install({ cacheRoot, installLog }) {
    for (const tool of ['java', 'mvn']) {
      if (!(await commandExists(tool))) {
        throw new TestenvError(
          'kafka',
          `'${tool}' is not on PATH; Kafka needs Java 17 and Maven (see README prerequisites)`,
        );
      }
    }
    const dir = await cachedDirectory(join(cacheRoot, `kafka-${KAFKA_VERSION}`), async (tmp) => {
      writeFileSync(join(tmp, 'pom.xml'), pom());
      await runTool(
        'kafka',
        'mvn',
        [
          '-q',
          '-B',
          '-f',
          join(tmp, 'pom.xml'),
          `-Dmaven.repo.local=${join(cacheRoot, 'maven-repository')}`,
          `${DEPENDENCY_PLUGIN}:copy-dependencies`,
          '-DincludeScope=runtime',
          `-DoutputDirectory=${join(tmp, 'lib')}`,
        ],
        { logFile: installLog },
      );
    });
    return { classpath: join(dir, 'lib', '*') };
  },

  launch({ classpath }, { dataDir }) {
    return prepareKafka(classpath, dataDir, { ports: { broker: KAFKA_PORT, controller: KAFKA_CONTROLLER_PORT } });
  },

  async probe() {
    const admin = new Admin({
      clientId: 'brook-testenv-probe',
      bootstrapBrokers: [...endpoints.kafka.bootstrapBrokers],
      retries: 0,
      timeout: 2000,
    });
    try {
      const metadata = await admin.metadata({ topics: [] });
      if (metadata.brokers.size === 0) throw new Error('broker reports no brokers in metadata');
    } finally {
      await admin.close();
    }
  },
};
