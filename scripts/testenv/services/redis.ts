// Redis from Debian's redis-server package, persistence off, on loopback.
import { Redis } from 'ioredis';
import { endpoints, REDIS_PORT } from '../endpoints.ts';
import { commandExists, runTool } from '../exec.ts';
import { TestenvError } from '../errors.ts';
import type { ServiceDefinition } from './service.ts';

const aptEnvironment = { DEBIAN_FRONTEND: 'noninteractive' };

async function installRedisPackage(installLog: string): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new TestenvError('redis', "'redis-server' is missing; install Debian's redis-server package (needs root)");
  }
  const install = ['install', '-y', '-q', '--no-install-recommends', 'redis-server'];
  try {
    await runTool('redis', 'apt-get', install, { logFile: installLog, env: aptEnvironment });
  } catch {
    // A fresh machine has no package lists yet.
    await runTool('redis', 'apt-get', ['update', '-q'], { logFile: installLog, env: aptEnvironment });
    await runTool('redis', 'apt-get', install, { logFile: installLog, env: aptEnvironment });
  }
}

export const redis: ServiceDefinition<{ binary: string }> = {
  name: 'redis',
  ports: [REDIS_PORT],
  processMarker: `redis-server 127.0.0.1:${REDIS_PORT}`,
  readyTimeoutMs: 20_000,

  async install({ installLog }) {
    if (!(await commandExists('redis-server'))) await installRedisPackage(installLog);
    return { binary: 'redis-server' };
  },

  async launch({ binary }, { dataDir }) {
    return {
      command: binary,
      args: [
        '--bind',
        '127.0.0.1',
        '--port',
        String(REDIS_PORT),
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dataDir,
        '--daemonize',
        'no',
        '--protected-mode',
        'yes',
        '--loglevel',
        'notice',
      ],
    };
  },

  async probe() {
    const client = new Redis(endpoints.redis.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 1000,
    });
    client.on('error', () => {}); // surfaced through connect() below
    try {
      await client.connect();
      await client.ping();
    } finally {
      client.disconnect();
    }
  },
};
