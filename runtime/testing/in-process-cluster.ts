// A JobManager and TaskManagers in the test's own process, talking over
// loopback TCP on free ports: the distributed protocol without spawning
// processes (runtime/testing/process-cluster.ts spawns them).
import { pino, type Logger } from 'pino';
import { configSchema } from '../config/schema.ts';
import { JobManager } from '../cluster/job-manager.ts';
import { TaskManager } from '../cluster/task-manager.ts';

export interface InProcessClusterOptions {
  /** The job module, its arguments and name. */
  job: { path: string; args: string[]; name: string };
  /** The job's configuration, parsed by the runtime's schema. */
  settings: object;
  taskManagers: number;
  heartbeatTimeoutMs?: number;
  /** cluster.secret per TaskManager, to test refusals. */
  taskManagerSecret?: (index: number) => string | undefined;
}

export interface InProcessCluster {
  jobManager: JobManager;
  tms: TaskManager[];
  /** Stops the TaskManagers, then the JobManager. */
  stop: () => Promise<void>;
}

/** Quiet unless KEEP is set (then the tests' logs help debugging). */
const testLog: Logger = pino({ level: process.env.KEEP ? 'info' : 'silent' });

export async function startInProcessCluster(options: InProcessClusterOptions): Promise<InProcessCluster> {
  const jobManager = new JobManager({
    job: { ...options.job, settings: configSchema.parse(options.settings) },
    controlHost: '127.0.0.1',
    controlPort: 0,
    heartbeatIntervalMs: 100,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 2000,
    log: testLog,
  });
  const control = await jobManager.listen();
  const tms = Array.from(
    { length: options.taskManagers },
    (_, i) =>
      new TaskManager({
        jobManager: control,
        dataHost: '127.0.0.1',
        dataPort: 0,
        taskManagerId: `tm-${i}`,
        reconnectDelayMs: 100,
        log: testLog,
        secret: options.taskManagerSecret?.(i),
      }),
  );
  await Promise.all(tms.map((tm) => tm.start()));
  return {
    jobManager,
    tms,
    stop: async () => {
      await Promise.all(tms.map((tm) => tm.stop()));
      await jobManager.close();
    },
  };
}
