// Which level a module logs at: the most specific entry of logging.modules wins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { levelFor, type LevelSettings } from './levels.ts';
import { unknownModules } from './modules.ts';

test('a module takes its own level, else its nearest parent, else the default', () => {
  const settings: LevelSettings = {
    level: 'info',
    modules: { operator: 'warn', 'operator.reconcile': 'debug', kafka: 'error' },
  };
  const cases: [string, string][] = [
    ['operator.reconcile', 'debug'],
    ['operator.reconcile.deep', 'debug'],
    ['operator.informer', 'warn'],
    ['operator', 'warn'],
    ['kafka', 'error'],
    ['kafkaesque', 'info'],
    ['checkpoint', 'info'],
    ['', 'info'],
  ];
  for (const [module, expected] of cases) assert.equal(levelFor(module, settings), expected, module);
});

test('module names that are not Brook modules (nor parents of one) are reported', () => {
  assert.deepEqual(unknownModules(['kafka', 'operator', 'chekpoint', 'operator.reconcile', 'operator.nope']), [
    'chekpoint',
    'operator.nope',
  ]);
});
