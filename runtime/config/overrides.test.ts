// `--set key.path=value`: YAML-typed values, nested object and list paths,
// Flink key names, and bad keys or paths named in the problem.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyOverrides, parseValue, setAtPath } from './overrides.ts';
import { formatPath, parsePath } from './paths.ts';

test('values are read as YAML scalars: numbers, booleans, null, quoted strings; anything else is the text', () => {
  const cases: [string, unknown][] = [
    ['4', 4],
    ['2.5', 2.5],
    ['true', true],
    ['false', false],
    ['null', null],
    ['"4"', '4'],
    ["'true'", 'true'],
    ['10s', '10s'],
    ['s3://bucket/prefix', 's3://bucket/prefix'],
    ['redis://:p@ss#word@host:6379', 'redis://:p@ss#word@host:6379'],
    ['a #b', 'a #b'],
    ['key: value', 'key: value'],
    ['', ''],
    ['[a:9092, b:9092]', ['a:9092', 'b:9092']],
    ['{type: none}', { type: 'none' }],
  ];
  for (const [text, value] of cases) assert.deepEqual(parseValue(text), { value }, text);
  assert.match((parseValue('[a, b') as { reason: string }).reason, /not valid YAML/);
});

test('paths name object keys, list indexes and quoted keys; malformed ones say why', () => {
  assert.deepEqual(parsePath('kafka.bootstrapServers[1]'), { path: ['kafka', 'bootstrapServers', 1] });
  assert.deepEqual(parsePath('logging.modules["runtime.checkpoint"]'), {
    path: ['logging', 'modules', 'runtime.checkpoint'],
  });
  assert.deepEqual(parsePath('user.items[0].name'), { path: ['user', 'items', 0, 'name'] });
  for (const bad of ['a..b', '.a', 'a.', 'a[x]', 'a[0]b', ''])
    assert.ok('reason' in parsePath(bad), `${bad} should be refused`);
  assert.equal(formatPath(['kafka', 'bootstrapServers', 1]), 'kafka.bootstrapServers[1]');
  assert.equal(formatPath(['logging', 'modules', 'a.b']), 'logging.modules["a.b"]');
});

test('overrides create nested objects and lists, replace values, append at the end of a list, and null deletes', () => {
  const tree: Record<string, unknown> = { job: { name: 'x' }, kafka: { bootstrapServers: ['a:1'] } };
  const problems = applyOverrides(tree, [
    'job.parallelism=4',
    'checkpoints.interval=10s',
    'kafka.bootstrapServers[1]=b:2',
    'kafka.bootstrapServers[0]=z:9',
    'user.items[0].weight=0.5',
    'job.name=null',
    'restore.allowNonRestoredState=true',
  ]);
  assert.deepEqual(problems, []);
  assert.deepEqual(tree, {
    job: { parallelism: 4 },
    checkpoints: { interval: '10s' },
    kafka: { bootstrapServers: ['z:9', 'b:2'] },
    user: { items: [{ weight: 0.5 }] },
    restore: { allowNonRestoredState: true },
  });
});

test("Flink's key names are accepted and land on Brook's paths, with Flink's values translated", () => {
  const tree: Record<string, unknown> = {};
  assert.deepEqual(
    applyOverrides(tree, [
      'parallelism.default=3',
      'state.savepoints.dir=s3://b/sp',
      'execution.checkpointing.mode=AT_LEAST_ONCE',
      'pipeline.job-id=0123456789abcdef0123456789abcdef',
    ]),
    [],
  );
  assert.deepEqual(tree, {
    job: { parallelism: 3, id: '0123456789abcdef0123456789abcdef' },
    savepoints: { dir: 's3://b/sp' },
    checkpoints: { mode: 'at-least-once' },
  });
});

test('each bad override is a problem naming its --set key: malformed keys, paths through scalars, holes in lists', () => {
  const tree: Record<string, unknown> = { job: { name: 'x' }, kafka: { bootstrapServers: ['a:1'] } };
  const problems = applyOverrides(tree, [
    'job..name=1',
    'job.name.first=1',
    'kafka.bootstrapServers[5]=c:3',
    'kafka.bootstrapServers.first=c:3',
    'job[0]=1',
    'user.deep.list[3]=1',
    'noequals',
  ]);
  assert.deepEqual(problems, [
    { where: '--set job..name', message: 'bad key: a path segment is empty' },
    { where: '--set job.name.first', message: 'cannot set: job.name is string "x", not an object' },
    {
      where: '--set kafka.bootstrapServers[5]',
      message: 'cannot set: index 5 is past the end of kafka.bootstrapServers (1 item(s))',
    },
    {
      where: '--set kafka.bootstrapServers.first',
      message: 'cannot set: kafka.bootstrapServers is a list: use kafka.bootstrapServers[index]',
    },
    { where: '--set job[0]', message: 'cannot set: job is an object, not a list' },
    { where: '--set user.deep.list[3]', message: 'cannot set: index 3 is past the end of user.deep.list (0 item(s))' },
    { where: '--set noequals', message: 'expected key=value' },
  ]);
  assert.deepEqual(tree, { job: { name: 'x' }, kafka: { bootstrapServers: ['a:1'] } }, 'nothing was changed');
});

test('setAtPath deletes list items with null', () => {
  const tree: Record<string, unknown> = { l: [1, 2, 3] };
  assert.equal(setAtPath(tree, ['l', 1], null), undefined);
  assert.deepEqual(tree, { l: [1, 3] });
});
