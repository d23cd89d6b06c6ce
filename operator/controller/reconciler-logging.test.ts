// The operator's log lines about a resource carry its namespace, name, uid and
// generation, under module operator.reconcile at that module's level. The
// pause path is used: it logs before touching anything but the resource read.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configureLogging, logger, rootLogger } from '../../runtime/logging/logger.ts';
import { parseLogLine } from '../../runtime/logging/fixtures/log-line.ts';
import { newReconcilerMemory, PAUSE_ANNOTATION, reconcile, type ReconcilerDependencies } from './reconciler.ts';

function dependencies(annotations: Record<string, string>) {
  const events: string[] = [];
  const resource = {
    apiVersion: 'brook.dev/v1beta1',
    kind: 'StreamDeployment',
    metadata: { namespace: 'streaming', name: 'orders', uid: 'uid-1', generation: 3, annotations },
  };
  const deps = {
    api: { getStreamDeployment: () => Promise.resolve(resource) },
    events: {
      record: (_subject: unknown, event: { reason: string }) => Promise.resolve(void events.push(event.reason)),
    },
    // The controller hands its own module logger on: the reconcile lines must not repeat `module`.
    log: logger('operator.controller', rootLogger()),
  };
  return { deps: deps as unknown as ReconcilerDependencies, events };
}

test('lines about a resource carry namespace, name, uid and generation under operator.reconcile', async () => {
  const lines: string[] = [];
  configureLogging({
    level: 'info',
    modules: {},
    bindings: { process: 'operator' },
    destination: { write: (s) => lines.push(s) },
  });
  const { deps, events } = dependencies({ [PAUSE_ANNOTATION]: 'true' });
  const outcome = await reconcile(deps, newReconcilerMemory(), 'streaming/orders');
  assert.equal(outcome.result, 'paused');
  assert.deepEqual(events, ['ReconciliationPaused']);
  const [line] = lines.map(parseLogLine);
  assert.equal(line?.msg, 'reconciliation paused by annotation');
  assert.deepEqual(
    [line.process, line.module, line.namespace, line.name, line.uid, line.generation],
    ['operator', 'operator.reconcile', 'streaming', 'orders', 'uid-1', 3],
  );
  assert.equal(lines[0]!.match(/"module"/g)?.length, 1, lines[0]);
});

test('--log-module operator.reconcile=warn silences those info lines; operator=debug would not', async () => {
  const lines: string[] = [];
  const destination = { write: (s: string) => lines.push(s) };
  configureLogging({ level: 'info', modules: { operator: 'debug', 'operator.reconcile': 'warn' }, destination });
  await reconcile(dependencies({ [PAUSE_ANNOTATION]: 'true' }).deps, newReconcilerMemory(), 'streaming/orders');
  assert.deepEqual(lines, []);
  configureLogging({ modules: { operator: 'warn' } });
  await reconcile(dependencies({ [PAUSE_ANNOTATION]: 'true' }).deps, newReconcilerMemory(), 'streaming/orders');
  assert.deepEqual(lines, []);
  configureLogging({ modules: {} });
  await reconcile(dependencies({ [PAUSE_ANNOTATION]: 'true' }).deps, newReconcilerMemory(), 'streaming/orders');
  assert.equal(lines.length, 1);
});
