// The file sink on a local directory: exactly-once under failures (also
// between a completed checkpoint and its commits), nothing visible before its
// commit, size rolling, CSV that round-trips through an independent RFC 4180
// parser, and event-time buckets.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, test } from 'node:test';
import { StreamEnvironment, forMonotonousTimestamps } from '../../index.ts';
import { FileSinkCommitError, FileSinkConfigError } from './errors.ts';
import { fileSink } from './file-sink.ts';
import { LocalPartStore } from './local-part-store.ts';
import {
  failureBeforeCommit,
  failureMidStream,
  hiddenUntilCommitted,
  restartsNeverReuseNames,
  rollingBySize,
  type Target,
} from './sink-scenarios.test-helper.ts';

const root = mkdtempSync(join(tmpdir(), 'brook-file-sink-'));
after(() => rmSync(root, { recursive: true, force: true }));

function walk(directory: string): string[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(directory, entry.name)) : [join(directory, entry.name)],
  );
}

const isHidden = (file: string) => file.split('/').pop()!.startsWith('.');

const local: Target = {
  path: (name) => `file://${root}/out/${name}`,
  extraOptions: {},
  async committed(path) {
    const base = path.slice('file://'.length);
    return new Map(
      walk(base)
        .filter((f) => !isHidden(f))
        .map((f) => [relative(base, f), readFileSync(f, 'utf8')]),
    );
  },
  async hidden(path) {
    return walk(path.slice('file://'.length)).filter((f) => isHidden(f) && f.endsWith('.inprogress')).length;
  },
  checkpoints: (name) => `file://${root}/checkpoints/${name}`,
};

for (const parallelism of [1, 3])
  test(`a failure mid-stream leaves every line committed exactly once (parallelism ${parallelism})`, () =>
    failureMidStream(local, parallelism));

test('a failure after a checkpoint completed but before its commits ran: the restore commits them once', () =>
  failureBeforeCommit(local));

test('nothing is visible under a final name before its checkpoint completes', () => hiddenUntilCommitted(local));

test('rolling by size keeps every part under the limit', () => rollingBySize(local));

test('a second run into the same directory adds parts instead of replacing them', () => restartsNeverReuseNames(local));

/** An RFC 4180 parser, written apart from the sink's encoder: quoted fields, doubled quotes, CRLF. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (quoted && c === '"') {
      quoted = false;
    } else if (quoted) {
      field += c;
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else {
      field += c;
    }
  }
  assert.equal(field + row.join(''), '', 'the file ends with a line break');
  return rows;
}

test('CSV parts have a header and quote fields so that every value round-trips', async () => {
  const path = `file://${root}/out/csv`;
  const awkward = [
    'plain',
    'with,comma',
    'with "quotes"',
    'line\nbreak',
    'crlf\r\ninside',
    '',
    ' spaced ',
    'ünïcødé',
    '"',
    ',,',
  ];
  const records = awkward.flatMap((text, i) => [
    { id: i, text, note: awkward[(i + 3) % awkward.length]! },
    { id: i + 100, text: `${text}${text}`, note: null },
  ]);
  const env = new StreamEnvironment();
  env.fromCollection(records).sinkTo(
    fileSink<(typeof records)[number]>({
      path,
      bucket: false,
      format: { type: 'csv', columns: ['id', 'text', 'note'] },
      rolling: { maxPartSizeBytes: 200 },
    }),
  );
  await env.execute('csv');
  const files = await local.committed(path);
  assert.ok(files.size > 1, 'several parts, each with its header');
  const rows: string[][] = [];
  for (const content of files.values()) {
    const [header, ...body] = parseCsv(content);
    assert.deepEqual(header, ['id', 'text', 'note']);
    rows.push(...body);
  }
  const expected = records.map((r) => [String(r.id), r.text, r.note ?? '']);
  const byId = (a: string[], b: string[]) => Number(a[0]) - Number(b[0]);
  assert.deepEqual(rows.sort(byId), expected.sort(byId));
});

test('records go to the bucket of their event time (date and hour directories)', async () => {
  const path = `file://${root}/out/buckets`;
  const start = Date.UTC(2024, 4, 31, 21, 30);
  const events = Array.from({ length: 300 }, (_, i) => ({ id: i, at: start + i * 97_000 })); // ~8 hours, across midnight
  const env = new StreamEnvironment().setParallelism(2);
  env
    .fromCollection(events)
    .assignTimestampsAndWatermarks(
      forMonotonousTimestamps<{ id: number; at: number }>().withTimestampAssigner((e) => e.at),
    )
    .rebalance()
    .sinkTo(fileSink({ path, bucket: { pattern: "'dt='yyyy-MM-dd/'hour='HH", time: 'event' } }));
  await env.execute('buckets');
  const files = await local.committed(path);
  const seen: number[] = [];
  for (const [name, content] of files) {
    for (const line of content.trim().split('\n')) {
      const event = JSON.parse(line) as { id: number; at: number };
      const iso = new Date(event.at).toISOString();
      assert.equal(
        name.slice(0, name.lastIndexOf('/')),
        `dt=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}`,
        `event ${event.id}`,
      );
      seen.push(event.id);
    }
  }
  assert.deepEqual(
    seen.sort((a, b) => a - b),
    events.map((e) => e.id),
  );
  assert.ok(new Set([...files.keys()].map((n) => n.split('/')[0])).size === 2, 'two days');
});

test('event-time buckets refuse a record without a timestamp, naming the sink', async () => {
  const env = new StreamEnvironment();
  env
    .fromCollection([{ id: 1 }])
    .sinkTo(fileSink({ name: 'audit', path: `file://${root}/out/no-ts`, bucket: { time: 'event' } }));
  await assert.rejects(
    env.execute('no-ts'),
    /file sink 'audit': record \{"id":1\} has no timestamp for bucket.time 'event'/,
  );
});

test('a commit repeated after a restore is a no-op; a commit of a part that vanished fails naming it', async () => {
  const store = new LocalPartStore(`${root}/out/commits`, 'files');
  const part = await store.open('b', 'part-0-0.jsonl');
  await part.write(Buffer.from('{"a":1}\n'));
  const committable = await part.seal();
  await store.commit(committable);
  await store.commit(committable);
  assert.equal(readFileSync(join(root, 'out/commits/b/part-0-0.jsonl'), 'utf8'), '{"a":1}\n');
  const lost = {
    kind: 'file' as const,
    inProgress: join(root, 'out/commits/b/.gone.inprogress'),
    final: join(root, 'out/commits/b/gone.jsonl'),
  };
  await assert.rejects(store.commit(lost), (error: unknown) => {
    assert.ok(error instanceof FileSinkCommitError);
    assert.match(
      error.message,
      /file sink 'files': cannot commit file:\/\/.*gone\.jsonl: its in-progress file .* is gone/,
    );
    return true;
  });
  // A new writer of subtask 0 in bucket b starts above every part there, committed or in progress.
  writeFileSync(join(root, 'out/commits/b/.part-0-7.jsonl.x.inprogress'), '');
  assert.equal(await store.nextCounter('b', 'part', 0), 8);
  assert.equal(await store.nextCounter('b', 'part', 1), 0);
});

test('bad options are refused together, each naming its field', () => {
  assert.throws(
    () =>
      fileSink({
        name: 'out',
        path: 'relative/dir',
        format: { type: 'csv', columns: ['a', 'a'], delimiter: '"' },
        rolling: { maxPartSizeBytes: 0 },
        bucket: { pattern: 'yyyy/week-ww', timeZone: 'Mars/Olympus' },
        s3: { partSizeBytes: 1024 },
        colour: 'blue',
      } as never),
    (error: unknown) => {
      assert.ok(error instanceof FileSinkConfigError);
      const message = error.message;
      assert.match(message, /^file sink 'out': invalid options: /);
      for (const field of [
        /path: must be file:/,
        /format\.columns: column names must be unique/,
        /format\.delimiter: the delimiter cannot be a quote/,
        /rolling\.maxPartSizeBytes: Too small/,
        /bucket\.pattern: letter 'w' in 'yyyy\/week-ww' is not one of yyyy MM dd HH mm/,
        /bucket\.timeZone: not a known IANA time zone/,
        /s3\.partSizeBytes: Too small/,
        /\(options\): Unrecognized key: "colour"/,
      ])
        assert.match(message, field);
      return true;
    },
  );
});
