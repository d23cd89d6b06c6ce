// ${VAR} and ${VAR:default} interpolation: values from the environment,
// defaults, $${...} escapes, and errors that name the variable and the path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { interpolate, interpolateString } from './interpolation.ts';

const env = { HOST: 'kafka-1', PORT: '9092', EMPTY: '' };

test('references are replaced, several in one value and next to text', () => {
  assert.deepEqual(interpolateString('${HOST}:${PORT}', env), { value: 'kafka-1:9092', problems: [] });
  assert.equal(interpolateString('at ${HOST}!', env).value, 'at kafka-1!');
});

test('a default applies when the variable is unset or empty, and may contain colons and slashes', () => {
  assert.equal(interpolateString('${MISSING:localhost:9092}', env).value, 'localhost:9092');
  assert.equal(interpolateString('${EMPTY:fallback}', env).value, 'fallback');
  assert.equal(interpolateString('${HOST:ignored}', env).value, 'kafka-1');
  assert.equal(interpolateString('${DIR:file:///tmp/x}', env).value, 'file:///tmp/x');
  assert.equal(interpolateString('${MISSING:}', env).value, '');
});

test('$${...} is a literal ${...}, not a reference', () => {
  assert.deepEqual(interpolateString('$${HOST} is ${HOST}', env), { value: '${HOST} is kafka-1', problems: [] });
  assert.equal(interpolateString('$${NOT_SET}', env).value, '${NOT_SET}');
});

test('a missing variable without a default is a problem naming the variable and the path where it is used', () => {
  const { value, problems } = interpolate(
    { kafka: { bootstrapServers: ['${HOST}:${PORT}', '${BROKER_2}'] }, s3: { secretAccessKey: '${S3_SECRET}' } },
    env,
  );
  assert.deepEqual(problems, [
    {
      where: 'kafka.bootstrapServers[1]',
      message: 'environment variable BROKER_2 is not set (write ${BROKER_2:default} to give a default)',
    },
    {
      where: 's3.secretAccessKey',
      message: 'environment variable S3_SECRET is not set (write ${S3_SECRET:default} to give a default)',
    },
  ]);
  assert.deepEqual(value, {
    kafka: { bootstrapServers: ['kafka-1:9092', undefined] },
    s3: { secretAccessKey: undefined },
  });
});

test('a malformed reference is a problem; numbers and booleans pass through untouched', () => {
  const { problems, value } = interpolate({ a: '${not a name}', b: 3, c: true }, env);
  assert.equal(problems.length, 1);
  assert.equal(problems[0]!.where, 'a');
  assert.match(problems[0]!.message, /not a valid reference/);
  assert.deepEqual(value, { a: undefined, b: 3, c: true });
});
