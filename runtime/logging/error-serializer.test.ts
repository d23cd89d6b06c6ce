// Errors in log lines: the cause chain, an AggregateError's errors, codes, masked secrets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrookError } from '../errors.ts';
import { serializeError } from './error-serializer.ts';

test('an error is written with its code, stack and whole cause chain', () => {
  const root = new Error('connect ECONNREFUSED 127.0.0.1:9092');
  const middle = new BrookError('BROOK_KAFKA', 'cannot fetch from orders-0', { cause: root });
  const top = new Error('task Source: orders (1) failed', { cause: middle });
  const serialized = serializeError(top);
  assert.equal(serialized.message, 'task Source: orders (1) failed');
  assert.match(serialized.stack!, /^Error: task Source: orders \(1\) failed\n\s+at /);
  assert.equal(serialized.cause?.type, 'BrookError');
  assert.equal(serialized.cause?.code, 'BROOK_KAFKA');
  assert.equal(serialized.cause?.message, 'cannot fetch from orders-0');
  assert.equal(serialized.cause?.cause?.message, 'connect ECONNREFUSED 127.0.0.1:9092');
  assert.equal(serialized.cause?.cause?.cause, undefined);
});

test("an AggregateError's errors are written, each with its own causes", () => {
  const error = new AggregateError(
    [new Error('broker a down'), new Error('broker b down', { cause: new Error('timeout') })],
    'no broker answered',
  );
  const serialized = serializeError(error);
  assert.equal(serialized.type, 'AggregateError');
  assert.deepEqual(
    serialized.errors?.map((e) => [e.message, e.cause?.message]),
    [
      ['broker a down', undefined],
      ['broker b down', 'timeout'],
    ],
  );
});

test('causes that are not errors, and cycles, are described instead of breaking the line', () => {
  const a = new Error('a');
  const b = new Error('b', { cause: a });
  (a as { cause?: unknown }).cause = b;
  const serialized = serializeError(new Error('top', { cause: a }));
  assert.equal(serialized.cause?.cause?.cause?.message, '[Circular cause]');
  assert.equal(serializeError(new Error('x', { cause: { status: 503 } })).cause?.message, '{ status: 503 }');
  assert.equal(serializeError('just a string').message, "'just a string'");
});

test('secrets an error carries are masked: secret properties and URL passwords in message and stack', () => {
  const error = Object.assign(new Error('cannot connect to redis://app:hunter22@cache:6379'), {
    options: { sasl: { mechanism: 'plain', password: 'hunter22' } },
  });
  const text = JSON.stringify(serializeError(error));
  assert.equal(text.includes('hunter22'), false, text);
  assert.match(text, /redis:\/\/app:\*\*\*@cache:6379/);
});
