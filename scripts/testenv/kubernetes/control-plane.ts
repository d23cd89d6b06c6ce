// The one process testenv starts for the `kubernetes` service. It runs etcd,
// kube-apiserver and kube-controller-manager in its own process group, each
// once the one before answers, and when any of them exits it stops the rest
// and exits too: testenv sees one service that is either whole or down.
//
//   node --import tsx scripts/testenv/kubernetes/control-plane.ts PLAN.json
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { waitUntilReady } from '../process.ts';
import { checkHealth, type HealthCheck } from './health.ts';

export interface Component {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  health: HealthCheck;
}

export interface ControlPlanePlan {
  components: Component[];
  /** How long one component may take to answer after it was started. */
  componentTimeoutMs: number;
}

const children = new Map<string, ChildProcess>();
let stopping = false;
let exitCode = 0;

const log = (line: string) => console.log(`${new Date().toISOString()} control-plane: ${line}`);

function tail(file: string, lines = 25): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

function stopAll(code: number): void {
  if (!stopping) exitCode = code;
  stopping = true;
  if (children.size === 0) process.exit(exitCode);
  for (const child of children.values()) child.kill('SIGTERM');
}

// testenv stops the whole process group, so the components get the signal
// themselves; this process only waits for them.
process.on('SIGTERM', () => stopAll(0));
process.on('SIGINT', () => stopAll(0));

function start(component: Component): { failed: () => string | undefined } {
  const out = openSync(component.logFile, 'a');
  let failure: string | undefined;
  const child = spawn(component.command, component.args, { stdio: ['ignore', out, out] });
  closeSync(out);
  children.set(component.name, child);
  const gone = (reason: string) => {
    if (!children.delete(component.name)) return;
    failure = reason;
    if (!stopping) {
      log(`${component.name} ${reason}; its log (${component.logFile}) ends:\n${tail(component.logFile)}`);
      stopAll(1);
    } else if (children.size === 0) process.exit(exitCode);
  };
  child.once('exit', (code, signal) => gone(`exited (${signal ?? `code ${code}`})`));
  child.once('error', (error) => gone(`could not be started: ${error.message}`));
  return { failed: () => failure };
}

async function main(planFile: string): Promise<void> {
  const plan = JSON.parse(readFileSync(planFile, 'utf8')) as ControlPlanePlan;
  for (const component of plan.components) {
    const began = Date.now();
    const { failed } = start(component);
    const ready = await waitUntilReady(() => checkHealth(component.health), {
      timeoutMs: plan.componentTimeoutMs,
      abortReason: () => (stopping ? (failed() ?? 'stopped') : undefined),
    });
    if (stopping) return;
    if (!ready.ok) {
      log(`${component.name} ${ready.reason}; its log (${component.logFile}) ends:\n${tail(component.logFile)}`);
      stopAll(1);
      return;
    }
    log(
      `${component.name} answers after ${((Date.now() - began) / 1000).toFixed(1)} s (pid ${children.get(component.name)?.pid})`,
    );
  }
  log('control plane ready');
}

const planFile = process.argv[2];
if (!planFile) {
  console.error('usage: control-plane.ts PLAN.json');
  process.exit(2);
}
main(planFile).catch((error: unknown) => {
  log(`failed: ${error instanceof Error ? error.message : String(error)}`);
  stopAll(1);
});
