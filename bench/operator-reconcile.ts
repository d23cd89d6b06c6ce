// The operator under load (issue 7): N StreamDeployments (200 by default)
// created at once in a namespace of testenv's real kube-apiserver, reconciled by
// the controller in this process with its default workers. Prints the time from
// each resource's creation to all four of its children existing (ConfigMap,
// JobManager Deployment and Service, TaskManager Deployment), for every resource
// and for the whole set, and the duration of every reconcile (p50/p99/max).
// Children are seen by listing them, independently of the controller's own caches.
// No kubelet runs: the pods stay Pending and no JobManager answers (the observer
// is pointed at a closed loopback port), which is the operator's cost alone.
//
//   node --import tsx bench/operator-reconcile.ts [--resources N] [--workers N]
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { childNames } from '../operator/children/names.ts';
import { Controller } from '../operator/controller/controller.ts';
import { TestNamespace, kubernetesWithCrds } from '../operator/controller/testing/kube-fixture.ts';

const { values } = parseArgs({ options: { resources: { type: 'string' }, workers: { type: 'string' } } });
const resources = Number(values.resources ?? 200);
const workers = values.workers === undefined ? undefined : Number(values.workers);
/** Every wait is bounded: the whole run gives up after this long. */
const DEADLINE_MS = 10 * 60_000;

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

const ms = (x: number) => `${x.toFixed(0)} ms`;

async function main(): Promise<void> {
  console.log(
    `${cpus().length} cores, Node ${process.version}, load average ${loadavg()[0]!.toFixed(1)}; ${resources} StreamDeployments, ${workers ?? 'default'} workers`,
  );
  const kc = await kubernetesWithCrds();
  const ns = await TestNamespace.create(kc, 'bench-reconcile');
  let controller: Controller | undefined;
  try {
    controller = new Controller({
      kubeConfig: kc,
      log: pino({ level: 'silent' }),
      namespaces: [ns.name],
      processMetrics: false,
      leaderElection: false,
      restTimeoutMs: 1_000,
      // Nothing listens here: the observer learns at once that no JobManager answers.
      jobManagerUrl: () => 'http://127.0.0.1:9',
      ...(workers !== undefined ? { workers } : {}),
    });
    // Every reconcile's duration, as the controller measures it for brook_operator_reconcile_duration_seconds.
    const durations: number[] = [];
    const histogram = controller.metrics.reconcileDuration;
    const observe = histogram.observe.bind(histogram);
    histogram.observe = ((labels: { result: string }, seconds: number) => {
      durations.push(seconds * 1000);
      observe(labels, seconds);
    }) as typeof histogram.observe;
    await controller.start();

    const names = Array.from({ length: resources }, (_, i) => `load-${String(i).padStart(3, '0')}`);
    const createdAt = new Map<string, number>();
    const childrenAt = new Map<string, number>();
    const started = performance.now();
    // Created a few at a time, as fast as the API server takes them.
    for (let i = 0; i < names.length; i += 20) {
      await Promise.all(
        names.slice(i, i + 20).map(async (name) => {
          await ns.createStreamDeployment(name, {
            job: { entry: '/opt/brook/examples/wordcount/job.ts', upgradeMode: 'stateless' },
            taskManager: { replicas: 1 },
          });
          createdAt.set(name, performance.now());
        }),
      );
    }
    const allCreated = performance.now();

    const deadline = Date.now() + DEADLINE_MS;
    while (childrenAt.size < names.length) {
      if (Date.now() > deadline) throw new Error(`only ${childrenAt.size} of ${names.length} have their children`);
      const [deployments, services, configMaps] = await Promise.all([
        ns.apps.listNamespacedDeployment({ namespace: ns.name }),
        ns.core.listNamespacedService({ namespace: ns.name }),
        ns.core.listNamespacedConfigMap({ namespace: ns.name }),
      ]);
      const seen = new Set([
        ...deployments.items.map((d) => `Deployment/${d.metadata!.name}`),
        ...services.items.map((s) => `Service/${s.metadata!.name}`),
        ...configMaps.items.map((c) => `ConfigMap/${c.metadata!.name}`),
      ]);
      const now = performance.now();
      for (const name of names) {
        if (childrenAt.has(name)) continue;
        const c = childNames(name);
        const all = [
          `ConfigMap/${c.configMap}`,
          `Deployment/${c.jobManager}`,
          `Service/${c.jobManagerService}`,
          `Deployment/${c.taskManager}`,
        ];
        if (all.every((child) => seen.has(child))) childrenAt.set(name, now);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const allChildren = performance.now();

    const latencies = names.map((n) => childrenAt.get(n)! - createdAt.get(n)!).sort((a, b) => a - b);
    const reconciles = [...durations].sort((a, b) => a - b);
    console.log('\nfrom creation to all four children (listed every 250 ms, so up to 250 ms late):');
    console.log(
      `  per resource: p50 ${ms(quantile(latencies, 0.5))}, p99 ${ms(quantile(latencies, 0.99))}, max ${ms(latencies.at(-1)!)}`,
    );
    console.log(
      `  all ${resources}: created in ${ms(allCreated - started)}, every child present ${ms(allChildren - started)} after the first create`,
    );
    console.log(
      `\nreconciles until then: ${reconciles.length} (${(reconciles.length / resources).toFixed(1)} per resource)`,
    );
    console.log(
      `  duration: p50 ${quantile(reconciles, 0.5).toFixed(1)} ms, p99 ${quantile(reconciles, 0.99).toFixed(1)} ms, max ${reconciles.at(-1)!.toFixed(1)} ms`,
    );
    console.log(`\nload average at the end ${loadavg()[0]!.toFixed(1)}`);
    console.log(
      JSON.stringify({
        benchmark: 'operator-reconcile',
        resources,
        workers: workers ?? 'default',
        childrenLatencyMs: {
          p50: quantile(latencies, 0.5),
          p99: quantile(latencies, 0.99),
          max: latencies.at(-1),
        },
        allChildrenMs: allChildren - started,
        reconciles: reconciles.length,
        reconcileMs: { p50: quantile(reconciles, 0.5), p99: quantile(reconciles, 0.99), max: reconciles.at(-1) },
      }),
    );
  } finally {
    await controller?.stop();
    await ns.dispose();
  }
}

await main();
