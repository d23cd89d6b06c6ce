// The modules whose levels `logging.modules` (and `brook operator --log-module`)
// set; every runtime and operator log line names its module. docs/logging.md
// lists them from here.

/** Module names and what logs under each. A name also sets the modules under it (`operator` → `operator.reconcile`). */
export const logModules = {
  cli: 'the process itself: start, addresses it serves, how the job ended',
  job: "the job's own functions, through the runtime context's `log` (`open(ctx) { ctx.log.info(...) }`)",
  execution: 'tasks and attempts: failures, restarts, commits after cancellation',
  cluster: 'JobManager and TaskManagers: registration, heartbeats, deployments, lost TaskManagers',
  checkpoint: 'checkpoints and savepoints: restores, resumption from the latest checkpoint',
  network: 'data exchange between TaskManagers: connections made and ended (debug)',
  rest: 'the JobManager REST API',
  metrics: 'the /metrics endpoint',
  kafka: 'the Kafka source and sink',
  operator: 'the Kubernetes operator (all of its modules)',
  'operator.controller': 'operator start and stop, workers, resync',
  'operator.reconcile': 'reconciliation of one StreamDeployment: observation, decisions, actions, events',
  'operator.informer': 'list and watch of resources',
  'operator.leader-election': 'the leader Lease',
} as const;

export type LogModule = keyof typeof logModules;

/** Module names in `modules` that neither are nor contain a known module (a likely typo). */
export function unknownModules(modules: Iterable<string>): string[] {
  const known = Object.keys(logModules);
  return [...modules].filter((name) => !known.some((k) => k === name || k.startsWith(`${name}.`)));
}
