// `brook taskmanager`: connects to the JobManager (retrying until it answers),
// registers its data-exchange address, heartbeats, and runs the attempts the
// JobManager deploys. When the JobManager goes away the running attempt is
// stopped and the TaskManager registers again with whichever JobManager comes
// back (a restarted JobManager resumes the job from its latest checkpoint).
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { connect } from '../network/transport.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataExchange, type Address } from '../network/data-exchange.ts';
import { ControlConnection } from './control-connection.ts';
import { authenticateToServer } from '../network/peer-auth.ts';
import type { JobManagerMessage, TaskManagerMessage } from './messages.ts';
import { SlotAttempt } from './slot-attempt.ts';
import type { MetricsRegistry } from '../metrics/registry.ts';
import { configureLoggingFrom, logger, rootLogger, type Logger } from '../logging/logger.ts';

export interface TaskManagerOptions {
  jobManager: Address;
  /** Where the data exchange listens (port 6121 in a pod; 0 picks a free port). */
  dataHost: string;
  dataPort: number;
  taskManagerId?: string;
  /** How long to wait between connection attempts to the JobManager. */
  reconnectDelayMs?: number;
  /** Log context (default: the process's root logger, read at each line so later configuration applies). */
  log?: Logger;
  /** Where the tasks' metrics are registered (served on 9249 by `brook taskmanager`); absent: not exported. */
  metrics?: MetricsRegistry;
  /** cluster.secret: proved on the control connection and on every data connection (network/peer-auth.ts). */
  secret?: string;
  /** cluster.encryption: TLS keyed by the secret on the control and data connections (network/transport.ts). */
  encryption?: boolean;
}

export class TaskManager {
  readonly id: string;
  private readonly exchange: DataExchange;
  private dataAddress: Address | undefined;
  private connection: ControlConnection<JobManagerMessage, TaskManagerMessage> | undefined;
  private attempt: SlotAttempt | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: TaskManagerOptions) {
    this.id = options.taskManagerId ?? `tm-${randomUUID().slice(0, 8)}`;
    this.exchange = new DataExchange({ secret: options.secret, encryption: options.encryption });
  }

  private get log(): Logger {
    return logger('cluster', this.options.log ?? rootLogger());
  }

  /** Starts the data exchange and the connect-register-run loop; resolves with the data address. */
  async start(): Promise<Address> {
    this.dataAddress = await this.exchange.listen(this.options.dataHost, this.options.dataPort);
    this.loop = this.connectLoop();
    return this.dataAddress;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.heartbeat);
    this.connection?.destroy('the TaskManager stopped');
    await this.attempt?.abandon();
    await this.loop;
    await this.exchange.close();
  }

  private async connectLoop(): Promise<void> {
    const { jobManager } = this.options;
    let lastError = '';
    while (!this.stopped) {
      const lost = await this.session().catch((error: unknown) => (error as Error).message);
      if (this.stopped) return;
      if (lost !== lastError)
        this.log.warn({ reason: lost }, `JobManager ${jobManager.host}:${jobManager.port}: ${lost}; retrying`);
      lastError = lost;
      await sleep(this.options.reconnectDelayMs ?? 1000);
    }
  }

  /** One connection to the JobManager; resolves with why it ended. */
  private session(): Promise<string> {
    const { jobManager } = this.options;
    return new Promise((resolve, reject) => {
      const { secret, encryption } = this.options;
      const socket = connect(jobManager.host, jobManager.port, { secret, encryption }, () => {
        void this.authenticated(socket, resolve, reject);
      });
      socket.once('error', (error) => reject(new Error(`cannot connect: ${error.message}`)));
    });
  }

  /** Proves cluster.secret (when set) before registering: a refused TaskManager retries like an unreachable one. */
  private async authenticated(
    socket: Socket,
    resolve: (reason: string) => void,
    reject: (error: Error) => void,
  ): Promise<void> {
    const { jobManager } = this.options;
    let initial: Buffer;
    try {
      initial = await authenticateToServer(
        socket,
        this.options.secret,
        `JobManager ${jobManager.host}:${jobManager.port}`,
      );
    } catch (error) {
      socket.destroy();
      return reject(error as Error);
    }
    socket.removeAllListeners('error');
    const connection = new ControlConnection<JobManagerMessage, TaskManagerMessage>(
      socket,
      (message) => this.onMessage(message),
      initial,
    );
    this.connection = connection;
    connection.onClose((reason) => {
      clearInterval(this.heartbeat);
      this.connection = undefined;
      // Without a JobManager nobody coordinates the attempt: stop it (its state is in the last checkpoint).
      const attempt = this.attempt;
      this.attempt = undefined;
      void attempt?.abandon().finally(() => resolve(`connection lost (${reason})`));
      if (!attempt) resolve(`connection lost (${reason})`);
    });
    connection.send({ type: 'register', taskManagerId: this.id, dataAddress: this.dataAddress!, slots: 1 });
  }

  private send(message: TaskManagerMessage): void {
    this.connection?.send(message);
  }

  private onMessage(message: JobManagerMessage): void {
    if (message.type === 'registered') {
      this.log.info(`registered with JobManager ${this.options.jobManager.host}:${this.options.jobManager.port}`);
      clearInterval(this.heartbeat);
      this.heartbeat = setInterval(() => {
        this.send({ type: 'heartbeat' });
        this.attempt?.sendFigures();
      }, message.heartbeatIntervalMs);
      this.heartbeat.unref();
      return;
    }
    if (message.type === 'deploy') {
      void this.deploy(message.deployment);
      return;
    }
    const attempt = this.attempt;
    // Messages of an attempt that already ended here are late: nothing to do.
    if (!attempt || attempt.attempt !== message.attempt) return;
    switch (message.type) {
      case 'checkpoint-target':
        return attempt.checkpointTarget(message.checkpointId, message.storageUri, message.directory);
      case 'trigger':
        return attempt.trigger(message.task, message.checkpointId, message.stop, message.drain);
      case 'checkpoint-complete':
        return attempt.checkpointComplete(message.task, message.checkpointId);
      case 'resume-after-failed-stop':
        return attempt.resumeAfterFailedStop(message.task, message.checkpointId);
      case 'snapshot-finished':
        return attempt.snapshotFinished(message.task, message.checkpointId);
      case 'add-splits':
        return attempt.addSplits(message.task, message.splits);
      case 'no-more-splits':
        return attempt.noMoreSplits(message.task);
      case 'run':
        return attempt.run();
      case 'end-attempt':
        void attempt.end(message.end).finally(() => {
          if (this.attempt === attempt) this.attempt = undefined;
        });
    }
  }

  private async deploy(deployment: SlotAttempt['deployment']): Promise<void> {
    // A JobManager deploys only after the previous attempt ended everywhere; be safe anyway.
    await this.attempt?.abandon();
    // The job's configuration (sent by the JobManager) decides this process's logging while the job runs.
    configureLoggingFrom(deployment.job.settings);
    const log = (this.options.log ?? rootLogger()).child({
      jobId: deployment.jobId,
      jobName: deployment.job.name,
      attempt: deployment.attempt,
    });
    const attempt = new SlotAttempt(deployment, this.exchange, (m) => this.send(m), log, this.options.metrics);
    this.attempt = attempt;
    logger('cluster', log).info(
      { slot: deployment.slot },
      `running attempt ${deployment.attempt} of job ${deployment.jobId} in slot ${deployment.slot}`,
    );
    await attempt.start();
  }
}
