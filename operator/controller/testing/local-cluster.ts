// Test-only stand-in for a kubelet (there is none before issue 8): runs the
// JobManager and TaskManagers a StreamDeployment's children describe as local
// `brook` processes — the container args as rendered, the ConfigMap's brook.yaml
// as the --config file — with ports chosen by the OS instead of the pod ports.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1ConfigMap, V1Deployment } from '@kubernetes/client-node';
import { BrookProcess } from '../../../runtime/testing/brook-process.ts';
import { configDirectory, configFileName } from '../../children/names.ts';
import { jobIdAnnotation } from '../../children/labels.ts';

export class LocalCluster {
  restUrl = '';
  controlPort = 0;
  readonly taskManagers: BrookProcess[] = [];

  private constructor(
    readonly jobManager: BrookProcess,
    readonly jobId: string,
    private readonly configFile: string,
  ) {}

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
    const separator = args.indexOf('--');
    // Ports the OS chooses, so several clusters (and other tests) never collide on the pod ports.
    const local = ['--set', 'cluster.controlPort=0', '--set', 'rest.port=0', '--set', 'metrics.port=0'];
    const jobManagerArgs =
      separator < 0 ? [...args, ...local] : [...args.slice(0, separator), ...local, ...args.slice(separator)];
    const jobId = children.jobManager.metadata?.annotations?.[jobIdAnnotation] ?? '';
    const cluster = new LocalCluster(
      new BrookProcess(`jobmanager ${jobId.slice(0, 8)}`, jobManagerArgs),
      jobId,
      configFile,
    );
    cluster.controlPort = Number((await cluster.jobManager.waitFor(/control port at 127\.0\.0\.1:(\d+)/))[1]);
    // The line may be plain text or a JSON log record: the URL ends at a quote as well as at a space.
    cluster.restUrl = (await cluster.jobManager.waitFor(/REST API at (http:[^\s"]+)/))[1]!;
    for (let i = 0; i < taskManagers; i++) cluster.startTaskManager();
    return cluster;
  }

  startTaskManager(): BrookProcess {
    const tm = new BrookProcess(`taskmanager ${this.taskManagers.length + 1}`, [
      'taskmanager',
      '--jobmanager',
      `127.0.0.1:${this.controlPort}`,
      '--config',
      this.configFile,
      '--set',
      'cluster.dataPort=0',
      '--set',
      'metrics.port=0',
    ]);
    this.taskManagers.push(tm);
    return tm;
  }

  async stop(): Promise<void> {
    await Promise.all([this.jobManager, ...this.taskManagers].map((p) => p.kill('SIGKILL')));
  }

  logs(): string {
    return [this.jobManager, ...this.taskManagers].map((p) => `--- ${p.label}\n${p.stderr}`).join('\n');
  }
}
