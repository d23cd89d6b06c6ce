// Test-only stand-in for a kubelet (there is none before issue 8): runs the
// JobManager and TaskManagers a StreamDeployment's children describe as local
// `brook` processes — the container args as rendered, the ConfigMap's brook.yaml
// as the --config file — with ports chosen by the OS instead of the pod ports.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1ConfigMap, V1Deployment } from '@kubernetes/client-node';
import { ProcessCluster } from '../../../runtime/testing/process-cluster.ts';
import { configDirectory, configFileName } from '../../children/names.ts';
import { jobIdAnnotation } from '../../children/labels.ts';

export class LocalCluster extends ProcessCluster {
  private constructor(
    readonly jobId: string,
    configFile: string,
  ) {
    super({ flags: ['--config', configFile] });
  }

  /** Starts the JobManager of `jobManager` (a Deployment) with the configuration in `configMap`, and `taskManagers` TaskManagers. */
  static async start(
    children: { jobManager: V1Deployment; configMap: V1ConfigMap },
    taskManagers = 1,
  ): Promise<LocalCluster> {
    const dir = await mkdtemp(join(tmpdir(), 'brook-local-cluster-'));
    const configFile = join(dir, configFileName);
    await writeFile(configFile, children.configMap.data?.[configFileName] ?? '');
    const container = children.jobManager.spec!.template.spec!.containers[0]!;
    const args = (container.args ?? []).map((arg) =>
      arg === `${configDirectory}/${configFileName}` ? configFile : arg,
    );
    const jobId = children.jobManager.metadata?.annotations?.[jobIdAnnotation] ?? '';
    const cluster = new LocalCluster(jobId, configFile);
    // The container's args: `jobmanager`, its flags, then `--` and the job's arguments if it has any.
    const separator = args.indexOf('--');
    await cluster.startJobManager({
      flags: args.slice(1, separator < 0 ? undefined : separator),
      jobArgs: separator < 0 ? undefined : args.slice(separator + 1),
      label: `jobmanager ${jobId.slice(0, 8)}`,
    });
    for (let i = 0; i < taskManagers; i++) cluster.startTaskManager();
    return cluster;
  }
}
