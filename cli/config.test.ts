// `brook run --config/--env/--set/--print-config` through the real binary:
// the effective configuration printed with secrets masked, a job reading its
// typed settings, and a bad configuration refused with exit 2 and every problem.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parse } from 'yaml';

const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'brook-cli-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function brook(args: string[], env: Record<string, string> = {}) {
  const clean = { ...process.env };
  for (const name of Object.keys(clean)) if (name.startsWith('AWS_') || name === 'BROOK_ENV') delete clean[name];
  return spawnSync(process.execPath, [join(root, 'bin', 'brook.js'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...clean, ...env },
  });
}

function configFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const config = configFile(
  'brook.yaml',
  `
job: { parallelism: 2 }
checkpoints: { interval: 30s }
kafka:
  bootstrapServers: \${KAFKA_BROKERS:localhost:9092}
user: { greeting: hello }
profiles:
  production:
    job: { parallelism: 4 }
    kafka:
      sasl:
        username: app
        password: \${KAFKA_PASSWORD}
    s3: { secretAccessKey: '\${S3_SECRET}', accessKeyId: AKIA }
`,
);

test('--print-config prints the effective configuration (profile, variables, --set) with secrets masked, and exits 0', () => {
  const result = brook(
    [
      'run',
      'examples/wordcount/job.ts',
      '--config',
      config,
      '--env',
      'production',
      '--set',
      'checkpoints.timeout=2m',
      '--print-config',
    ],
    { KAFKA_PASSWORD: 'kafka-secret-value', S3_SECRET: 's3-secret-value', KAFKA_BROKERS: 'k1:9092,k2:9092' },
  );
  assert.equal(result.status, 0, result.stderr);
  assert.ok(!result.stdout.includes('secret-value'), result.stdout);
  assert.match(result.stdout, /^# effective configuration from .*brook\.yaml, profile production/);
  const printed = parse(result.stdout) as {
    job: Record<string, unknown>;
    checkpoints: Record<string, unknown>;
    kafka: { bootstrapServers: string[]; sasl: Record<string, unknown> };
    s3: Record<string, unknown>;
  };
  assert.equal(printed.job.parallelism, 4);
  assert.equal(printed.job.name, 'wordcount', 'named after the job module');
  assert.equal(printed.checkpoints.interval, '30s');
  assert.equal(printed.checkpoints.timeout, '2m');
  assert.deepEqual(printed.kafka.bootstrapServers, ['k1:9092', 'k2:9092']);
  assert.equal(printed.kafka.sasl.password, '***');
  assert.equal(printed.s3.secretAccessKey, '***');
  assert.equal(printed.s3.accessKeyId, 'AKIA');
  assert.equal(result.stderr.includes('finished'), false, 'the job did not run');
});

test('BROOK_ENV selects the profile, and the job reads its typed settings from env.config', () => {
  const result = brook(['run', 'cli/fixtures/config-job.ts', '--config', config, '--set', 'user.times=2'], {
    BROOK_ENV: 'production',
    KAFKA_PASSWORD: 'x',
    S3_SECRET: 'y',
  });
  assert.equal(result.status, 0, result.stderr);
  const lines = result.stdout.trim().split('\n');
  assert.equal(lines[0], 'parallelism=4 profile=production');
  assert.deepEqual(
    lines.slice(1).map((l) => l.replace(/^\d+> /, '')),
    ['hello', 'hello'],
  );
});

test('--parallelism wins over the configuration', () => {
  const result = brook(['run', 'cli/fixtures/config-job.ts', '--config', config, '--parallelism', '3']);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^parallelism=3 profile=-/);
});

test('a bad configuration exits 2 with every problem and its path, before the job is loaded', () => {
  const bad = configFile(
    'bad.yaml',
    'job: { parallelism: many }\ncheckpoints: { interval: ten, intervall: 5s }\nprofiles: { production: {} }\n',
  );
  const result = brook([
    'run',
    'examples/does-not-exist.ts',
    '--config',
    bad,
    '--env',
    'production',
    '--set',
    'logging.level=loud',
  ]);
  assert.equal(result.status, 2);
  assert.equal(result.stdout, '');
  assert.equal(
    result.stderr.trim(),
    [
      `brook run: invalid configuration in ${bad} (profile production), 4 problems:`,
      '  job.parallelism: expected a number, got "many"',
      '  checkpoints.interval: expected a duration like 10s, got "ten"',
      '  checkpoints.intervall: unknown key (did you mean checkpoints.interval?)',
      '  logging.level: expected "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent", got "loud"',
    ].join('\n'),
  );
});

test('a missing variable, a missing file and an unknown profile are each one line, exit 2', () => {
  const missingVar = brook(
    ['run', 'examples/wordcount/job.ts', '--config', config, '--env', 'production', '--print-config'],
    {
      S3_SECRET: 'x',
    },
  );
  assert.equal(missingVar.status, 2);
  assert.equal(
    missingVar.stderr.trim(),
    `brook run: invalid configuration in ${config} (profile production): kafka.sasl.password: environment variable KAFKA_PASSWORD is not set (write \${KAFKA_PASSWORD:default} to give a default)`,
  );
  const missingFile = brook(['run', 'examples/wordcount/job.ts', '--config', join(dir, 'nope.yaml')]);
  assert.equal(missingFile.status, 2);
  assert.match(missingFile.stderr, /nope\.yaml: cannot read the configuration file: no such file/);
  const unknownProfile = brook(['run', 'examples/wordcount/job.ts', '--config', config, '--env', 'staging']);
  assert.equal(unknownProfile.status, 2);
  assert.match(unknownProfile.stderr, /profile 'staging' is not defined in .*brook\.yaml \(defined: production\)/);
});

test("a job's own section is validated by its schema: a bad value exits 2 naming user.<key>", () => {
  const result = brook(['run', 'cli/fixtures/config-job.ts', '--config', config, '--set', 'user.times=0']);
  assert.equal(result.status, 2);
  assert.match(
    result.stderr,
    /^brook run: invalid configuration in .*brook\.yaml: user\.times: must be more than 0, got 0$/m,
  );
});
