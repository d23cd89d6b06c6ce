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

function serverProperties(dataDir: string): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${KAFKA_CONTROLLER_PORT}`,
    `listeners=PLAINTEXT://127.0.0.1:${KAFKA_PORT},CONTROLLER://127.0.0.1:${KAFKA_CONTROLLER_PORT}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${KAFKA_PORT}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${join(dataDir, 'logs')}`,
    'num.partitions=1',
    'auto.create.topics.enable=true',
    // A single broker: internal topics cannot be replicated; few partitions keep creation fast.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=4',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=4',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    '',
  ].join('\n');
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

  async launch({ classpath }, { dataDir }) {
    mkdirSync(dataDir, { recursive: true });
    const config = join(dataDir, 'server.properties');
    writeFileSync(config, serverProperties(dataDir));
    // A KRaft cluster id is 16 random bytes in base64url, as `kafka-storage random-uuid` prints.
    const clusterId = randomBytes(16).toString('base64url');
    await runTool(
      'kafka',
      'java',
      ['-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', config, '--ignore-formatted'],
      { logFile: join(dataDir, 'format.log') },
    );
    return {
      command: 'java',
      args: [
        '-Xms256m',
        '-Xmx1g',
        '-Djava.awt.headless=true',
        '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
        '-cp',
        classpath,
        'kafka.Kafka',
        config,
      ],
    };
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
