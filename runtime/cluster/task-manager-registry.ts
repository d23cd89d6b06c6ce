// The JobManager's side of the control port (6123): TaskManagers register
// here, heartbeat, and are declared lost when their connection closes or their
// heartbeats stop for longer than the timeout. Their messages are passed on to
// whoever runs the current attempt.
import type { Server } from 'node:net';
import { createServer } from '../network/transport.ts';
import { BrookError } from '../errors.ts';
import type { Address } from '../network/data-exchange.ts';
import { ControlConnection } from './control-connection.ts';
import { authenticateClient } from '../network/peer-auth.ts';
import type { JobManagerMessage, TaskManagerMessage } from './messages.ts';
import { logger, type Logger } from '../logging/logger.ts';

export interface RegisteredTaskManager {
  id: string;
  dataAddress: Address;
  slots: number;
  registeredAt: number;
  lastHeartbeat: number;
  send(message: JobManagerMessage): void;
}

export class TaskManagerLostError extends BrookError {
  constructor(taskManager: string, reason: string) {
    super('BROOK_TASKMANAGER_LOST', `TaskManager ${taskManager} was lost: ${reason}`);
  }
}

export interface RegistryEvents {
  onMessage(taskManager: RegisteredTaskManager, message: TaskManagerMessage): void;
  onLost(taskManager: RegisteredTaskManager, error: TaskManagerLostError): void;
  onRegistered(taskManager: RegisteredTaskManager): void;
}

export class TaskManagerRegistry {
  private server: Server | undefined;
  private readonly byId = new Map<
    string,
    { tm: RegisteredTaskManager; connection: ControlConnection<TaskManagerMessage, JobManagerMessage> }
  >();
  private checker: NodeJS.Timeout | undefined;

  constructor(
    private readonly settings: {
      heartbeatIntervalMs: number;
      heartbeatTimeoutMs: number;
      secret?: string;
      encryption?: boolean;
    },
    private readonly events: RegistryEvents,
    /** Log context, read at each line: the process's configuration then applies. */
    private readonly logContext: () => Logger,
  ) {}

  private get log(): Logger {
    return logger('cluster', this.logContext());
  }

  async listen(host: string, port: number): Promise<Address> {
    const { secret, encryption } = this.settings;
    const refused = (peer: string, reason: string) =>
      this.log.warn({ peer }, `control connection from ${peer}: ${reason}`);
    const server = createServer(
      { secret, encryption },
      (socket) => {
        const peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
        authenticateClient(socket, this.settings.secret, `control connection from ${peer}`).then(
          (initial) => {
            const connection = new ControlConnection<TaskManagerMessage, JobManagerMessage>(
              socket,
              (message) => this.onMessage(connection, message),
              initial,
            );
            connection.onClose((reason) => this.connectionClosed(connection, reason));
          },
          (error: Error) => {
            // A process without the secret (or a port scanner): refused before it could register.
            this.log.warn({ peer }, error.message);
            socket.destroy();
          },
        );
      },
      refused,
    );
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.checker = setInterval(() => this.checkHeartbeats(), this.settings.heartbeatIntervalMs);
    this.checker.unref();
    const address = server.address();
    if (address === null || typeof address === 'string') throw new BrookError('BROOK_NETWORK', 'no TCP address');
    return { host, port: address.port };
  }

  /** Registered TaskManagers, oldest registration first. */
  list(): RegisteredTaskManager[] {
    return [...this.byId.values()].map((e) => e.tm).sort((a, b) => a.registeredAt - b.registeredAt);
  }

  isRegistered(tm: RegisteredTaskManager): boolean {
    return this.byId.get(tm.id)?.tm === tm;
  }

  async close(): Promise<void> {
    clearInterval(this.checker);
    for (const { connection } of this.byId.values()) connection.destroy('the JobManager stopped');
    this.byId.clear();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private onMessage(
    connection: ControlConnection<TaskManagerMessage, JobManagerMessage>,
    message: TaskManagerMessage,
  ): void {
    if (message.type === 'register') {
      const previous = this.byId.get(message.taskManagerId);
      if (previous && previous.connection !== connection) {
        // The same TaskManager came back on a new connection: the old one is gone.
        this.byId.delete(message.taskManagerId);
        previous.connection.destroy('replaced by a new registration');
        this.events.onLost(previous.tm, new TaskManagerLostError(previous.tm.id, 'it registered again'));
      }
      const now = Date.now();
      const tm: RegisteredTaskManager = {
        id: message.taskManagerId,
        dataAddress: message.dataAddress,
        slots: message.slots,
        registeredAt: now,
        lastHeartbeat: now,
        send: (m) => connection.send(m),
      };
      this.byId.set(tm.id, { tm, connection });
      connection.send({
        type: 'registered',
        taskManagerId: tm.id,
        heartbeatIntervalMs: this.settings.heartbeatIntervalMs,
      });
      this.log.info(
        { taskManager: tm.id, peer: connection.peer, dataAddress: `${tm.dataAddress.host}:${tm.dataAddress.port}` },
        `TaskManager ${tm.id} registered from ${connection.peer} (data ${tm.dataAddress.host}:${tm.dataAddress.port})`,
      );
      this.events.onRegistered(tm);
      return;
    }
    const entry = [...this.byId.values()].find((e) => e.connection === connection);
    if (!entry) return;
    entry.tm.lastHeartbeat = Date.now();
    if (message.type !== 'heartbeat') this.events.onMessage(entry.tm, message);
  }

  private connectionClosed(connection: ControlConnection<TaskManagerMessage, JobManagerMessage>, reason: string): void {
    for (const [id, entry] of this.byId) {
      if (entry.connection !== connection) continue;
      this.byId.delete(id);
      this.log.warn({ taskManager: id, reason }, `TaskManager ${id} lost: ${reason}`);
      this.events.onLost(entry.tm, new TaskManagerLostError(id, reason));
    }
  }

  private checkHeartbeats(): void {
    const now = Date.now();
    for (const { tm, connection } of [...this.byId.values()]) {
      const silent = now - tm.lastHeartbeat;
      if (silent > this.settings.heartbeatTimeoutMs) {
        connection.destroy(`no heartbeat for ${silent} ms (timeout ${this.settings.heartbeatTimeoutMs} ms)`);
      }
    }
  }
}
