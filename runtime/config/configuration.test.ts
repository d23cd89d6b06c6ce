// A job reads its own settings from the `user` section, typed by its zod
// schema, with problems named by their full path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { StreamEnvironment } from '../api/environment.ts';
import { duration } from './durations.ts';
import { ConfigurationError } from './errors.ts';
import { loadConfiguration } from './loader.ts';

const jobSettings = z
  .object({
    topic: z.string(),
    window: z.object({ size: duration().default(3_600_000), slide: duration().default(300_000) }).prefault({}),
    topN: z.number().int().positive().default(10),
  })
  .strict();

test('userSection validates the section with the job schema and returns typed values with defaults', () => {
  const config = loadConfiguration({ env: {}, text: 'user: { topic: clicks, window: { size: 10m } }' });
  const settings = config.userSection(jobSettings);
  assert.deepEqual(settings, { topic: 'clicks', window: { size: 600_000, slide: 300_000 }, topN: 10 });
});

test("userSection reports every problem of the job's section at its path under user", () => {
  const config = loadConfiguration({
    env: {},
    text: 'user: { window: { size: ten }, topN: 0, extra: 1 }',
    file: 'job.yaml',
  });
  assert.throws(
    () => config.userSection(jobSettings),
    (error: unknown) => {
      assert.ok(error instanceof ConfigurationError);
      assert.deepEqual(
        error.problems.map((p) => `${p.where}: ${p.message}`),
        [
          'user.topic: is required',
          'user.window.size: expected a duration like 10s, got "ten"',
          'user.topN: must be more than 0, got 0',
          'user.extra: unknown key',
        ],
      );
      assert.match(error.message, /^invalid configuration in job\.yaml, 4 problems:/);
      return true;
    },
  );
});

test('a new environment carries the built-in defaults as env.config', () => {
  const env = new StreamEnvironment();
  assert.equal(env.config.job.parallelism, 1);
  assert.deepEqual(env.config.userSection(z.object({ n: z.number().default(1) })), { n: 1 });
  assert.equal(Object.keys(env.config).includes('userSection'), false, 'only settings are enumerable');
});
