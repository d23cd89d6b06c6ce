// Secrets out of log lines: by key, in URLs, and by value in finished lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineScrubber, maskedCopy, maskUrlPasswords, secretValues } from './secrets.ts';

test('URL passwords are masked anywhere in a text', () => {
  assert.equal(
    maskUrlPasswords('cannot reach redis://app:s3cr3t@cache:6379/0 (tried rediss://:pw@b:1)'),
    'cannot reach redis://app:***@cache:6379/0 (tried rediss://:***@b:1)',
  );
  assert.equal(maskUrlPasswords('http://host:8081/jobs at 10:00'), 'http://host:8081/jobs at 10:00');
});

test('a masked copy hides secret keys at any depth, cuts cycles and bounds size', () => {
  const cyclic: Record<string, unknown> = { name: 'client' };
  cyclic.self = cyclic;
  const copy = maskedCopy({
    kafka: { sasl: { username: 'u', password: 'pw' }, tls: { key: 'PEM', ca: 'CA' } },
    s3: { secretAccessKey: 'sk', accessKeyId: 'ak' },
    url: 'redis://u:pw@h:1',
    cyclic,
    list: Array.from({ length: 60 }, (_, i) => i),
    bytes: Buffer.alloc(3),
  }) as Record<string, unknown> & { cyclic: { self: unknown }; list: unknown[] };
  assert.deepEqual(copy.kafka, { sasl: { username: 'u', password: '***' }, tls: { key: '***', ca: 'CA' } });
  assert.deepEqual(copy.s3, { secretAccessKey: '***', accessKeyId: 'ak' });
  assert.equal(copy.url, 'redis://u:***@h:1');
  assert.equal(copy.cyclic.self, '[Circular]');
  assert.equal(copy.list.length, 51);
  assert.equal(copy.bytes, '<3 bytes>');
});

test('the secret values of a configuration are found where --print-config masks them', () => {
  const secrets = secretValues({
    kafka: { sasl: { username: 'user', password: 'kafka-pass' } },
    s3: { accessKeyId: 'AKIA', secretAccessKey: 's3-secret-key' },
    redis: { url: 'redis://app:redis-pass@cache:6379' },
    user: { apiToken: 'tok-123456', short: 'abc', pw: 'x' },
  });
  assert.deepEqual(secrets.sort(), ['kafka-pass', 'redis-pass', 's3-secret-key', 'tok-123456']);
});

test('a scrubber replaces secrets as written and as JSON escapes them, the longest first', () => {
  const scrub = lineScrubber(['pass"word', 'hunter22', 'hunter22-and-more']);
  assert.equal(
    scrub(JSON.stringify({ msg: 'login pass"word failed', a: 'hunter22-and-more', b: 'x hunter22 y' })),
    JSON.stringify({ msg: 'login *** failed', a: '***', b: 'x *** y' }),
  );
  assert.equal(lineScrubber([])('unchanged'), 'unchanged');
});
