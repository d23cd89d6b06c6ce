// A private one-node Kafka (KRaft) for a test that stops, kills and restarts
// its broker: free loopback ports, data in a temp dir kept across restarts, and
// a watchdog that kills the broker when the test process dies.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin } from '@platformatic/kafka';
import { TestenvError } from './errors.ts';
import { cacheRoot } from './paths.ts';
import { spawnDetached, stopProcessGroup, waitUntilReady, type LaunchSpec } from './process.ts';
import { kafka, prepareKafka, type KafkaPorts } from './services/kafka.ts';

export interface PrivateKafkaOptions {
  /** server.properties entries over the single-node defaults. */
  extraProperties?: Record<string, string>;
  /** JVM flags (default: a small heap, since the shared broker runs beside it on a small machine). */
  jvmOptions?: string[];
  /** How long start() waits for the broker to answer. */
  readyTimeoutMs?: number;
}

// C1 only: a broker (re)start is mostly JIT work, and on a busy 2-core machine this halves it (10 s -> 5 s measured).
const DEFAULT_JVM_OPTIONS = ['-Xms64m', '-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];

// Fewer threads and internal partitions than the shared broker: it starts (and restarts) sooner. Short
// broker sessions: restarted after SIGKILL, the broker registers again only once its old session has
// expired (9 s by default), so a restart takes ~5 s instead of ~12 s.
const DEFAULT_PROPERTIES: Record<string, string> = {
  'num.network.threads': '2',
  'num.io.threads': '2',
  'background.threads': '2',
  'offsets.topic.num.partitions': '1',
  'transaction.state.log.num.partitions': '1',
  'broker.heartbeat.interval.ms': '500',
  'broker.session.timeout.ms': '2000',
};

/**
 * Runs `java` under `sh`, which passes SIGTERM on and exits with java's status.
 * Once the test process (`BROOK_WATCHDOG_PARENT`) is gone, it kills java within
 * a second and removes the data (nobody is left to close() it).
 */
const WATCHDOG = `"$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null' TERM
while kill -0 "$child" 2>/dev/null; do
  if ! kill -0 "$BROOK_WATCHDOG_PARENT" 2>/dev/null; then
    kill -KILL "$child"
    wait "$child"
    rm -rf "$BROOK_WATCHDOG_DATA_DIR"
    exit 137
  fi
  sleep 1
done
wait "$child"`;

/** `count` distinct free ports on 127.0.0.1, found by binding port 0 (all held until all are known). */
export async function freeLoopbackPorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
    }
    return servers.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

/** One client round trip: the broker answers metadata and lists itself. */
async function probe(brokers: string[]): Promise<void> {
  const admin = new Admin({
    clientId: 'brook-private-kafka-probe',
    bootstrapBrokers: brokers,
    retries: 0,
    timeout: 2000,
  });
  try {
    const metadata = await admin.metadata({ topics: [] });
    if (metadata.brokers.size === 0) throw new Error('broker reports no brokers in metadata');
  } finally {
    await admin.close();
  }
}

/**
 * A Kafka broker of a test's own, to stop and kill while a job runs.
 *
 * @example
 * const broker = await PrivateKafka.create();
 * await broker.start();
 * await broker.kill(); // an outage: SIGKILL, data kept
 * await broker.start(); // the same ports and data
 * await broker.close(); // stopped, data removed
 */
export class PrivateKafka {
  readonly brokers: string[];
  readonly logFile: string;
  private child: ChildProcess | undefined;
  private exited: string | undefined;
  private isPaused = false;

  private constructor(
    readonly ports: KafkaPorts,
    readonly dataDir: string,
    private readonly launch: LaunchSpec,
    private readonly readyTimeoutMs: number,
  ) {
    this.brokers = [`127.0.0.1:${ports.broker}`];
    this.logFile = join(dataDir, 'kafka.log');
  }

  /** Installs Kafka into the testenv cache when missing, picks free ports and formats a fresh data dir. */
  static async create(options: PrivateKafkaOptions = {}): Promise<PrivateKafka> {
    // On failure the directory stays: the error names the install or format log inside it.
    const dataDir = mkdtempSync(join(tmpdir(), 'brook-private-kafka-'));
    mkdirSync(cacheRoot(), { recursive: true });
    const { classpath } = await kafka.install({ cacheRoot: cacheRoot(), installLog: join(dataDir, 'install.log') });
    const [broker, controller] = await freeLoopbackPorts(2);
    const ports = { broker: broker!, controller: controller! };
    const launch = await prepareKafka(classpath, dataDir, {
      ports,
      extraProperties: { ...DEFAULT_PROPERTIES, ...options.extraProperties },
      jvmOptions: options.jvmOptions ?? DEFAULT_JVM_OPTIONS,
    });
    return new PrivateKafka(ports, dataDir, launch, options.readyTimeoutMs ?? 90_000);
  }

  /** Whether the broker process (or its watchdog) is alive. */
  get running(): boolean {
    return this.child !== undefined && this.exited === undefined;
  }

  /** Starts the broker (again: same ports, same data) and resolves once an Admin request answers. */
  async start(): Promise<void> {
    if (this.running) throw new TestenvError('private kafka', 'start() while the broker runs');
    this.exited = undefined;
    const child = spawnDetached(
      {
        command: 'sh',
        args: ['-c', WATCHDOG, 'brook-private-kafka', this.launch.command, ...this.launch.args],
        env: { BROOK_WATCHDOG_PARENT: String(process.pid), BROOK_WATCHDOG_DATA_DIR: this.dataDir },
      },
      this.logFile,
    );
    this.child = child;
    child.once('exit', (code, signal) => {
      if (this.child === child) this.exited = `exited (${signal ?? `code ${code}`})`;
    });
    child.once('error', (error) => {
      if (this.child === child) this.exited = `could not be started: ${error.message}`;
    });
    const ready = await waitUntilReady(() => probe(this.brokers), {
      timeoutMs: this.readyTimeoutMs,
      abortReason: () => this.exited,
    });
    if (!ready.ok) {
      await this.kill();
      throw new TestenvError(`private kafka ${this.brokers[0]}`, ready.reason, { logFile: this.logFile });
    }
  }

  /** SIGTERM (a controlled shutdown), then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    await this.end(graceMs);
  }

  /** SIGKILL: the broker vanishes mid-request, as in a crash; its data stays for a restart. */
  async kill(): Promise<void> {
    await this.end(0);
  }

  /**
   * SIGSTOP to the broker's JVM: it hangs with its connections open, as in a long
   * GC pause or a partition that drops packets (requests time out instead of
   * being refused). resume() ends it; stop() and kill() work on a paused broker.
   */
  pause(): void {
    process.kill(this.javaPid(), 'SIGSTOP');
    this.isPaused = true;
  }

  resume(): void {
    process.kill(this.javaPid(), 'SIGCONT');
    this.isPaused = false;
  }

  /** Whether pause() left the broker hung. */
  get paused(): boolean {
    return this.isPaused;
  }

  /** Stops the broker and removes its data. */
  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** The JVM: the watchdog shell's child (its other children are `sleep`s). */
  private javaPid(): number {
    const shell = this.child?.pid;
    if (shell === undefined || !this.running) throw new TestenvError('private kafka', 'the broker is not running');
    const children = readFileSync(`/proc/${shell}/task/${shell}/children`, 'utf8').trim().split(/\s+/).map(Number);
    const java = children.find((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'java';
      } catch {
        return false; // a `sleep` that just ended
      }
    });
    if (java === undefined)
      throw new TestenvError('private kafka', `no java process under the watchdog (pid ${shell})`);
    return java;
  }

  private async end(graceMs: number): Promise<void> {
    const child = this.child;
    if (child?.pid === undefined) return;
    // The wrapper leads its own process group (spawnDetached): the group holds java and the watchdog.
    // A paused broker must run again to act on SIGTERM.
    try {
      process.kill(-child.pid, graceMs === 0 ? 'SIGKILL' : 'SIGCONT');
    } catch {
      // already gone
    }
    await stopProcessGroup(child.pid, graceMs);
    this.child = undefined;
    this.isPaused = false;
    this.exited = 'stopped';
  }
}
