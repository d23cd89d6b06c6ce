// The process's loggers, written to a destination stream: module levels,
// bound context, secrets, cause chains and pretty lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configureLogging, configureLoggingFrom, logger, rootLogger, type LoggingOptions } from './logger.ts';
import { parseLogLine, type LogLine } from './fixtures/log-line.ts';

function capture(options: Partial<LoggingOptions> = {}): { lines: string[]; records: () => LogLine[] } {
  const lines: string[] = [];
  configureLogging({
    level: 'info',
    modules: {},
    pretty: false,
    ...options,
    destination: { write: (s) => lines.push(s) },
  });
  return { lines, records: () => lines.map(parseLogLine) };
}

test('module levels filter: the most specific module entry wins over the default level', () => {
  const out = capture({ level: 'warn', modules: { checkpoint: 'debug', 'operator.reconcile': 'error' } });
  logger('checkpoint').debug('checkpoint debug');
  logger('kafka').info('kafka info');
  logger('kafka').warn('kafka warn');
  logger('operator.reconcile').warn('reconcile warn');
  logger('operator.reconcile').error('reconcile error');
  assert.deepEqual(
    out.records().map((r) => [r.module, r.level, r.msg]),
    [
      ['checkpoint', 'debug', 'checkpoint debug'],
      ['kafka', 'warn', 'kafka warn'],
      ['operator.reconcile', 'error', 'reconcile error'],
    ],
  );
});

test('every line carries the process bindings and the context it was logged in, once', () => {
  const out = capture({ bindings: { process: 'taskmanager', resourceId: 'tm-1', host: '127.0.0.1' } });
  const task = rootLogger().child({ jobId: 'j1', jobName: 'wordcount', task: 'Map', subtask: 1 });
  const kafka = logger('kafka', task);
  kafka.info('from a task');
  // A module logger given as context: its module is replaced, not repeated.
  logger('execution', kafka).info('again');
  const [first, second] = out.records();
  assert.equal(first!.process, 'taskmanager');
  assert.equal(first!.resourceId, 'tm-1');
  assert.equal(first!.host, '127.0.0.1');
  assert.equal(typeof first!.pid, 'number');
  assert.deepEqual(
    [first!.jobId, first!.jobName, first!.task, first!.subtask, first!.module],
    ['j1', 'wordcount', 'Map', 1, 'kafka'],
  );
  assert.equal(second!.module, 'execution');
  assert.equal(out.lines[1]!.match(/"module"/g)?.length, 1, out.lines[1]);
});

test('a secret of the configuration appears in no line: not in the logged config, an error, a message or a URL', () => {
  const out = capture();
  const config = {
    logging: { modules: {} },
    kafka: { bootstrapServers: ['b:9092'], sasl: { mechanism: 'plain', username: 'app', password: 'kafka-S3CRET' } },
    s3: { accessKeyId: 'AKIA1', secretAccessKey: 'aws/SECRET+key' },
    redis: { url: 'redis://app:redis-S3CRET@cache:6379' },
  };
  configureLoggingFrom(config);
  const log = logger('cli');
  log.info({ config }, 'effective configuration');
  log.error({ err: new Error('SASL authentication failed for app with kafka-S3CRET') }, 'cannot connect');
  log.warn(`cannot reach ${config.redis.url}`);
  log.info({ some: { nested: { field: 'aws/SECRET+key' } } }, 'a secret under an innocent key');
  const text = out.lines.join('');
  for (const secret of ['kafka-S3CRET', 'aws/SECRET+key', 'redis-S3CRET'])
    assert.equal(text.includes(secret), false, text);
  const [logged] = out.records();
  assert.equal(logged!.config!.kafka.sasl.password, '***');
  assert.equal(logged!.config!.kafka.sasl.username, 'app');
  assert.match(text, /redis:\/\/app:\*\*\*@cache:6379/);
});

test('an error is logged with its stack and cause chain', () => {
  const out = capture();
  const error = new Error('attempt 1 failed', {
    cause: new Error('task Map (2) failed', { cause: new TypeError('x is undefined') }),
  });
  logger('execution').error({ err: error }, 'restarting');
  logger('execution').warn(
    { failure: new AggregateError([new Error('one'), new Error('two')], 'both failed') },
    'aggregate',
  );
  const [first, second] = out.records();
  assert.equal(first!.err!.message, 'attempt 1 failed');
  assert.match(first!.err!.stack!, /at /);
  assert.equal(first!.err!.cause!.message, 'task Map (2) failed');
  assert.equal(first!.err!.cause!.cause!.type, 'TypeError');
  assert.deepEqual(
    second!.failure!.errors!.map((e) => e.message),
    ['one', 'two'],
  );
});

test('pretty lines are not JSON: time, level, module, where, message, details, then the error indented', () => {
  const out = capture({ pretty: true });
  const task = rootLogger().child({ jobId: 'j1', jobName: 'wordcount', task: 'Map', subtask: 1 });
  logger('execution', task).warn(
    { err: new Error('outer', { cause: new Error('inner') }), checkpointId: 7 },
    'commit failed',
  );
  const text = out.lines.join('');
  assert.throws(() => JSON.parse(out.lines[0]!));
  const [head, ...rest] = text.trimEnd().split('\n');
  assert.match(
    head!,
    /^\d\d:\d\d:\d\d\.\d{3} WARN {2}\[execution\] wordcount › Map \(2\): commit failed {2}.*checkpointId=7/,
  );
  assert.match(rest.join('\n'), /^ {4}Error: outer\n {6}at [^]*\n {4}caused by:\n {4}Error: inner/);
});
