// The file sink's pure parts, table-driven: bucket patterns, rolling
// decisions, part names and counters, CSV field quoting.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dateTimeBucketer, invalidBucketId, parseBucketPattern } from './buckets.ts';
import { csvField } from './formats.ts';
import { parseFileSinkOptions } from './options.ts';
import { inProgressName, nextCounter, partCounter, partName } from './part-names.ts';
import { rollBeforeWrite, rollOnTime } from './rolling.ts';

test('bucket patterns format UTC or zoned time; bad patterns are explained', () => {
  const at = Date.UTC(2024, 0, 31, 23, 5);
  const cases: [string, string, string][] = [
    ['yyyy-MM-dd--HH', 'UTC', '2024-01-31--23'],
    ["'dt='yyyy-MM-dd/'hour='HH", 'UTC', 'dt=2024-01-31/hour=23'],
    ['yyyy/MM/dd/HH/mm', 'UTC', '2024/01/31/23/05'],
    ['yyyy-MM-dd--HH', 'Europe/Berlin', '2024-02-01--00'],
    ['yyyy-MM-dd--HH', 'America/New_York', '2024-01-31--18'],
  ];
  for (const [pattern, zone, expected] of cases) assert.equal(dateTimeBucketer(pattern, zone)(at), expected, pattern);
  assert.match(parseBucketPattern('yyyy-ww').error!, /letter 'w'/);
  assert.match(parseBucketPattern("'dt=yyyy").error!, /unclosed quote/);
  assert.match(parseBucketPattern('/yyyy').error!, /must be relative/);
  assert.match(parseBucketPattern("yyyy/'..'/HH").error!, /\.\. segments/);
  assert.equal(invalidBucketId(''), undefined);
  assert.match(invalidBucketId('a//b')!, /empty segments/);
});

test('rolling: before a record that would pass the size limit, at max age, and when idle', () => {
  const policy = parseFileSinkOptions({
    path: '/x',
    rolling: { maxPartSizeBytes: 100, rolloverIntervalMs: 1000, inactivityIntervalMs: 300 },
  }).rolling;
  const part = { bytes: 90, openedAt: 0, lastWriteAt: 500 };
  const cases: [string, boolean][] = [
    ['fits', rollBeforeWrite(part, 10, 600, policy)],
    ['would pass the limit', rollBeforeWrite(part, 11, 600, policy)],
    ['too old', rollBeforeWrite({ ...part, bytes: 1 }, 1, 1000, policy)],
    ['an empty part takes any record', rollBeforeWrite({ ...part, bytes: 0 }, 500, 600, policy)],
    ['idle', rollOnTime(part, 800, policy)],
    ['recently written', rollOnTime(part, 799, policy)],
    ['too old on the timer', rollOnTime({ ...part, lastWriteAt: 990 }, 1000, policy)],
  ];
  assert.deepEqual(cases, [
    ['fits', false],
    ['would pass the limit', true],
    ['too old', true],
    ['an empty part takes any record', false],
    ['idle', true],
    ['recently written', false],
    ['too old on the timer', true],
  ]);
});

test('part names carry subtask and counter, hidden while in progress; the next counter is above both', () => {
  const final = partName('part', 2, 17, '.csv');
  assert.equal(final, 'part-2-17.csv');
  assert.equal(inProgressName(final, 'u'), '.part-2-17.csv.u.inprogress');
  assert.equal(partCounter('.part-2-17.csv.u.inprogress', 'part', 2), 17);
  assert.equal(partCounter('part-2-17.csv', 'part', 1), undefined);
  assert.equal(partCounter('my-part-2-3.csv', 'part', 2), undefined);
  assert.equal(partCounter('my-part-2-3.csv', 'my-part', 2), 3);
  assert.equal(
    nextCounter(['part-0-3.jsonl', '.part-0-9.jsonl.x.inprogress', 'part-1-20.jsonl', 'notes.txt'], 'part', 0),
    10,
  );
  assert.equal(nextCounter([], 'part', 0), 0);
});

test('CSV fields are quoted only when they must be, with quotes doubled (RFC 4180)', () => {
  const cases: [unknown, string][] = [
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\r', '"cr\r"'],
    ['', ''],
    [null, ''],
    [undefined, ''],
    [42, '42'],
    [true, 'true'],
    [new Date(0), '1970-01-01T00:00:00.000Z'],
    [{ a: 1 }, '"{""a"":1}"'],
  ];
  for (const [value, expected] of cases) assert.equal(csvField(value, ','), expected, String(value));
  assert.equal(csvField('a;b', ';'), '"a;b"');
  assert.equal(csvField('a,b', ';'), 'a,b');
});
