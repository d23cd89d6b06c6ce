// Secrets never reach --print-config: keys that look secret and passwords in
// URLs are masked; durations and sizes print as written.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { loadConfiguration } from './loader.ts';
import { MASK, isSecretKey, maskSecrets, maskUrlPassword } from './masking.ts';
import { renderConfiguration } from './render.ts';

test('keys that look secret are secret; ordinary keys are not', () => {
  for (const key of [
    'secretAccessKey',
    'password',
    'PASSWORD',
    'apiToken',
    'token',
    'clientSecret',
    'api_key',
    'privateKey',
    'credentials',
    'passwd',
  ])
    assert.ok(isSecretKey(key), key);
  for (const key of ['accessKeyId', 'username', 'keyPrefix', 'key', 'recordsPerSecond', 'region'])
    assert.ok(!isSecretKey(key), key);
  assert.ok(isSecretKey('key', 'tls'), "a TLS 'key' is a private key");
});

test('whole subtrees under a secret key are masked, at any depth, in lists too; empty values are left alone', () => {
  assert.deepEqual(
    maskSecrets({ a: { password: 'p', user: 'u' }, list: [{ token: 't' }], credentials: { id: 'x' }, secret: '' }),
    { a: { password: MASK, user: 'u' }, list: [{ token: MASK }], credentials: MASK, secret: '' },
  );
});

test('the password part of a URL is masked, the rest kept', () => {
  assert.equal(maskUrlPassword('redis://user:hunter2@redis:6379/0'), 'redis://user:***@redis:6379/0');
  assert.equal(maskUrlPassword('redis://:hunter2@redis:6379'), 'redis://:***@redis:6379');
  assert.equal(maskUrlPassword('redis://redis:6379'), 'redis://redis:6379');
  assert.equal(maskUrlPassword('s3://bucket/a:b@c'), 's3://bucket/a:b@c');
});

test('--print-config output: every secret masked, durations and sizes in units, and it reads back to the same settings', () => {
  const secrets = ['aws-secret', 'sasl-secret', 'redis-secret', 'pem-secret', 'user-secret'];
  const config = loadConfiguration({
    env: { AWS_SECRET_ACCESS_KEY: secrets[0], AWS_ACCESS_KEY_ID: 'AKIA' },
    text: `
checkpoints: { interval: 90s }
s3: { partSize: 16mb }
kafka:
  bootstrapServers: k:9092
  sasl: { username: u, password: ${secrets[1]} }
  tls: { key: ${secrets[3]} }
redis: { url: 'redis://:${secrets[2]}@r:6379' }
user: { apiToken: ${secrets[4]}, topic: orders }
`,
  });
  const text = renderConfiguration(config);
  for (const secret of secrets) assert.ok(!text.includes(secret), `${secret} leaked:\n${text}`);
  const printed = parse(text) as Record<string, Record<string, unknown>>;
  assert.equal(printed.s3!.accessKeyId, 'AKIA');
  assert.equal(printed.s3!.secretAccessKey, MASK);
  assert.equal(printed.checkpoints!.interval, '90s');
  assert.equal(printed.s3!.partSize, '16mb');
  assert.equal(printed.user!.topic, 'orders');
  // Read back (secrets aside), the printed configuration is the same configuration.
  const reread = loadConfiguration({ env: {}, text, overrides: ['s3.secretAccessKey=x'] });
  assert.equal(reread.checkpoints.interval, config.checkpoints.interval);
  assert.equal(reread.s3.partSize, config.s3.partSize);
  assert.equal(reread.checkpoints.timeout, config.checkpoints.timeout);
});
