// Brings the test services up and down. The state file under stateRoot()
// records what testenv started, so `up` twice is harmless and `down` stops
// exactly what is running.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot, logsDir, serviceDataDir, stateRoot } from './paths.ts';
import { TestenvError } from './errors.ts';
import { withLock } from './lock.ts';
import { isOurProcess, portIsOpen, spawnDetached, stopProcessGroup, waitUntilReady } from './process.ts';
import { defaultServiceNames, services, serviceNames, type ServiceName } from './services/index.ts';
import type { ServiceDefinition } from './services/service.ts';

interface RunningService {
  pid: number;
  marker: string;
  dataDir: string;
  logFile: string;
  startedAt: string;
}

type State = Partial<Record<ServiceName, RunningService>>;

export interface ServiceStatus {
  name: ServiceName;
  state: 'up' | 'down' | 'not answering';
  pid?: number;
  port: number;
  logFile?: string;
}

const stateFile = () => join(stateRoot(), 'state.json');
const lockFile = () => join(stateRoot(), 'lock');

function readState(): State {
  if (!existsSync(stateFile())) return {};
  return JSON.parse(readFileSync(stateFile(), 'utf8')) as State;
}

function writeState(state: State): void {
  mkdirSync(stateRoot(), { recursive: true });
  writeFileSync(stateFile(), JSON.stringify(state, null, 2));
}

function isRunning(entry: RunningService | undefined): entry is RunningService {
  return entry !== undefined && isOurProcess(entry.pid, entry.marker);
}

async function answers(definition: ServiceDefinition<unknown>): Promise<boolean> {
  try {
    await definition.probe();
    return true;
  } catch {
    return false;
  }
}

async function installService(name: ServiceName, report: (line: string) => void): Promise<unknown> {
  const definition: ServiceDefinition<unknown> = services[name];
  mkdirSync(logsDir(), { recursive: true });
  const cacheDir = cacheRoot();
  mkdirSync(cacheDir, { recursive: true });
  const started = Date.now();
  const installed = await definition.install({
    cacheRoot: cacheDir,
    installLog: join(logsDir(), `${name}-install.log`),
  });
  const seconds = (Date.now() - started) / 1000;
  if (seconds >= 2) report(`${name}: installed in ${seconds.toFixed(1)} s`); // a cache hit takes milliseconds
  return installed;
}

async function startService(
  name: ServiceName,
  installed: unknown,
  report: (line: string) => void,
): Promise<RunningService> {
  const definition: ServiceDefinition<unknown> = services[name];
  const logFile = join(logsDir(), `${name}.log`);

  for (const port of definition.ports) {
    if (await portIsOpen(port)) {
      throw new TestenvError(
        name,
        `port ${port} on 127.0.0.1 is taken by a process testenv did not start; stop it first`,
      );
    }
  }
  const started = Date.now();
  const dataDir = serviceDataDir(name);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const launch = await definition.launch(installed, { dataDir });

  const child = spawnDetached(launch, logFile);
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited during start-up (${signal ?? `code ${code}`})`));
  child.once('error', (error) => (exited = `could not be started: ${error.message}`));
  const pid = child.pid;
  if (pid === undefined) throw new TestenvError(name, `could not start '${launch.command}'`, { logFile });

  const ready = await waitUntilReady(() => definition.probe(), {
    timeoutMs: definition.readyTimeoutMs,
    abortReason: () => exited,
  });
  if (!ready.ok) {
    await stopProcessGroup(pid, 2000);
    throw new TestenvError(name, ready.reason, { logFile });
  }
  report(
    `${name}: up on 127.0.0.1:${definition.ports[0]} in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${pid})`,
  );
  return { pid, marker: definition.processMarker, dataDir, logFile, startedAt: new Date().toISOString() };
}

/**
 * Starts the named services (the default set when none are named) unless they
 * already answer. Returns the names of the services this call started.
 */
export async function up(
  names: readonly ServiceName[] = defaultServiceNames,
  report: (line: string) => void = () => {},
): Promise<ServiceName[]> {
  // Installing is cached and safe to run concurrently (cache.ts), and on a cold
  // cache it can take many minutes (the Kubernetes build): do it before taking
  // the state lock, so other callers needing other services are not held up.
  const installs = await Promise.allSettled(names.map((name) => installService(name, report)));
  return withLock(lockFile(), async () => {
    const state = readState();
    const toStart: ServiceName[] = [];
    for (const name of names) {
      const entry = state[name];
      if (isRunning(entry) && (await answers(services[name]))) continue;
      if (isRunning(entry)) await stopProcessGroup(entry.pid, 2000); // alive but deaf: start afresh
      delete state[name];
      toStart.push(name);
    }
    const results = await Promise.allSettled(
      toStart.map(async (name) => {
        const installed = installs[names.indexOf(name)]!;
        if (installed.status === 'rejected') throw installed.reason;
        return startService(name, installed.value, report);
      }),
    );
    const failures: unknown[] = [];
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') state[toStart[i]!] = result.value;
      else failures.push(result.reason);
    });
    writeState(state);
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, failures.map((f) => (f as Error).message).join('\n'));
    return toStart;
  });
}

/** Stops the named services (all by default); with all of them stopped, removes the state directory. */
export async function down(
  names: readonly ServiceName[] = serviceNames,
  report: (line: string) => void = () => {},
): Promise<void> {
  await withLock(lockFile(), async () => {
    const state = readState();
    await Promise.all(
      names.map(async (name) => {
        const entry = state[name];
        if (entry && isRunning(entry)) {
          await stopProcessGroup(entry.pid);
          report(`${name}: stopped (pid ${entry.pid})`);
        }
        if (entry) rmSync(entry.dataDir, { recursive: true, force: true });
        delete state[name];
      }),
    );
    writeState(state);
  });
  if (Object.keys(readState()).length === 0) rmSync(stateRoot(), { recursive: true, force: true });
}

export async function status(): Promise<ServiceStatus[]> {
  const state = readState();
  return Promise.all(
    serviceNames.map(async (name): Promise<ServiceStatus> => {
      const entry = state[name];
      const port = services[name].ports[0]!;
      if (!isRunning(entry)) return { name, state: 'down', port };
      const ok = await answers(services[name]);
      return { name, state: ok ? 'up' : 'not answering', pid: entry.pid, port, logFile: entry.logFile };
    }),
  );
}
