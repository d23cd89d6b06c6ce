// Durations and sizes as configuration writes them, against hand-computed
// milliseconds and bytes; and their formatting back for --print-config.
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { test } from 'node:test';
import { duration, formatDuration, formatSize, parseDuration, parseSize, size } from './durations.ts';

test('durations in ms, s, m, h, d, with Flink-style spaces and units, or plain milliseconds', () => {
  const cases: [unknown, number][] = [
    ['500ms', 500],
    ['10s', 10_000],
    ['1.5s', 1500],
    ['5m', 300_000],
    ['5 min', 300_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
    ['10 S', 10_000],
    [250, 250],
    ['250', 250],
    [0, 0],
  ];
  for (const [input, ms] of cases) assert.equal(parseDuration(input), ms, String(input));
});

test('what is not a duration is undefined: words, negative numbers, unknown units, other types', () => {
  for (const input of ['ten', '-5s', '10 fortnights', '', 's', true, null, {}, -1, Number.NaN])
    assert.equal(parseDuration(input), undefined, inspect(input));
});

test('sizes in b, kb, mb, gb (powers of 1024) or plain bytes', () => {
  const cases: [unknown, number][] = [
    ['64mb', 64 * 1024 * 1024],
    ['512kb', 512 * 1024],
    ['1GB', 1024 ** 3],
    ['100b', 100],
    [4096, 4096],
  ];
  for (const [input, bytes] of cases) assert.equal(parseSize(input), bytes, String(input));
  assert.equal(parseSize('64 parsecs'), undefined);
});

test('formatting uses the largest exact unit', () => {
  assert.equal(formatDuration(90_000), '90s');
  assert.equal(formatDuration(3_600_000), '1h');
  assert.equal(formatDuration(1500), '1500ms');
  assert.equal(formatDuration(0), '0ms');
  assert.equal(formatSize(8 * 1024 * 1024), '8mb');
  assert.equal(formatSize(1000), '1000b');
});

test('the zod schemas give milliseconds and bytes, and a message with an example and the value found', () => {
  assert.equal(duration().parse('10s'), 10_000);
  assert.equal(size().parse('64mb'), 67_108_864);
  const bad = duration().safeParse('ten');
  assert.equal(bad.success, false);
  assert.equal(bad.error?.issues[0]?.message, 'expected a duration like 10s, got "ten"');
  assert.equal(size().safeParse('huge').error?.issues[0]?.message, 'expected a size like 64mb, got "huge"');
  assert.equal(duration({ positive: true }).safeParse('0s').error?.issues[0]?.message, 'must be longer than 0ms');
});
