// The file / S3 sink: records go into part files per bucket directory, rolled
// by size and time and at every checkpoint; parts stay hidden until the
// checkpoint that sealed them completes, then become visible under
// `<prefix>-<subtask>-<counter><ext>` (two-phase commit, exactly-once).
import type { Committer, CommittingSinkWriter, SinkContext, SinkInitContext, TwoPhaseCommittingSink } from '../sink.ts';
import { dateTimeBucketer, invalidBucketId } from './buckets.ts';
import { FileSinkRecordError } from './errors.ts';
import { csvEncoder, jsonLinesEncoder, type Encoder } from './formats.ts';
import { parseFileSinkOptions, type FileSinkConfig, type ParsedFileSinkConfig } from './options.ts';
import { partName } from './part-names.ts';
import type { OpenPart, PartCommittable, PartStore } from './part-store.ts';
import { rollBeforeWrite, rollOnTime, type PartProgress } from './rolling.ts';

export interface FileSinkOptions<T> extends FileSinkConfig {
  /** Chooses a record's bucket directory instead of `bucket` (a relative path such as `country=de/2024-05-01`). */
  bucketAssigner?: (record: T, context: SinkContext) => string;
}

/** Local writes are gathered to this size before they go to the file. */
const LOCAL_BUFFER_BYTES = 64 * 1024;

/**
 * A sink writing rolling part files in JSON lines or CSV to a directory or an
 * S3 prefix, committed exactly-once on checkpoint completion.
 *
 * @example
 * stream.sinkTo(fileSink<Order>({
 *   path: 's3://analytics/orders',
 *   format: { type: 'csv', columns: ['id', 'customer', 'total'] },
 *   bucket: { pattern: "'dt='yyyy-MM-dd/'hour='HH", time: 'event' },
 *   rolling: { maxPartSizeBytes: 64 * 1024 * 1024 },
 * }))
 */
export function fileSink<T>(options: FileSinkOptions<T>): TwoPhaseCommittingSink<T, PartCommittable> {
  const { bucketAssigner, ...rest } = options;
  const config = parseFileSinkOptions(rest);
  const openStore = async (): Promise<PartStore> => {
    if (config.path.startsWith('s3://')) {
      const { S3PartStore } = await import('./s3-part-store.ts');
      return new S3PartStore(config.path, config.s3, config.name);
    }
    const { LocalPartStore } = await import('./local-part-store.ts');
    return new LocalPartStore(config.path, config.name);
  };
  return {
    createWriter: async (context) => new FileSinkWriter<T>(config, await openStore(), context, bucketAssigner),
    createCommitter: async () => {
      const store = await openStore();
      return {
        async commit(committables) {
          for (const committable of committables) await store.commit(committable);
        },
        close: () => store.close(),
      } satisfies Committer<PartCommittable>;
    },
  };
}

interface OpenBucketPart extends PartProgress {
  part: OpenPart;
  buffered: Buffer[];
  bufferedBytes: number;
}

class FileSinkWriter<T> implements CommittingSinkWriter<T, PartCommittable> {
  private readonly encoder: Encoder<T>;
  private readonly bucketOf: (record: T, context: SinkContext) => string;
  /** Open parts by bucket id. */
  private readonly open = new Map<string, OpenBucketPart>();
  /** Next part counter by bucket id, for this writer's lifetime. */
  private readonly counters = new Map<string, number>();
  /** Sealed parts waiting for the next pre-commit. */
  private sealed: PartCommittable[] = [];
  /** Asynchronous work runs one step at a time, in record order. */
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;
  private failure: Error | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly bufferLimit: number;

  constructor(
    private readonly config: ParsedFileSinkConfig,
    private readonly store: PartStore,
    private readonly context: SinkInitContext,
    bucketAssigner: FileSinkOptions<T>['bucketAssigner'],
  ) {
    this.encoder = config.format.type === 'csv' ? csvEncoder(config.format) : jsonLinesEncoder();
    this.bucketOf = bucketAssigner ?? this.timeBuckets();
    // S3 parts buffer in the store up to a multipart part; local files in 64 KiB writes.
    this.bufferLimit = config.path.startsWith('s3://') ? config.s3.partSizeBytes : LOCAL_BUFFER_BYTES;
    this.timer = setInterval(() => {
      if (this.queued === 0 && this.open.size > 0) void this.enqueue(() => this.rollIdleParts()).catch(() => {});
    }, config.rolling.checkIntervalMs);
    this.timer.unref();
  }

  private timeBuckets(): (record: T, context: SinkContext) => string {
    const bucket = this.config.bucket;
    if (bucket === false) return () => '';
    const format = dateTimeBucketer(bucket.pattern, bucket.timeZone);
    if (bucket.time === 'processing') return () => format(Date.now());
    return (record, context) => {
      const timestamp = context.timestamp();
      if (timestamp === undefined)
        throw new FileSinkRecordError(
          this.config.name,
          `record ${JSON.stringify(record)} has no timestamp for bucket.time 'event' (assign timestamps, or use 'processing')`,
        );
      return format(timestamp);
    };
  }

  write(value: T, context: SinkContext): void | Promise<void> {
    if (this.failure) throw this.failure;
    const bucketId = this.bucketOf(value, context);
    const invalid =
      typeof bucketId === 'string' ? invalidBucketId(bucketId) : `bucket ${String(bucketId)} is not a string`;
    if (invalid) throw new FileSinkRecordError(this.config.name, invalid);
    const bytes = this.encoder.encode(value);
    // The common case takes no promise: the part is open, not due to roll, and the buffer has room.
    const current = this.open.get(bucketId);
    const now = Date.now();
    if (
      this.queued === 0 &&
      current &&
      current.bufferedBytes + bytes.byteLength < this.bufferLimit &&
      !rollBeforeWrite(current, bytes.byteLength, now, this.config.rolling)
    ) {
      this.append(current, bytes, now);
      return;
    }
    return this.enqueue(() => this.writeSlow(bucketId, bytes));
  }

  private append(part: OpenBucketPart, bytes: Buffer, now: number): void {
    part.buffered.push(bytes);
    part.bufferedBytes += bytes.byteLength;
    part.bytes += bytes.byteLength;
    part.lastWriteAt = now;
  }

  private async writeSlow(bucketId: string, bytes: Buffer): Promise<void> {
    const now = Date.now();
    let current = this.open.get(bucketId);
    if (current && rollBeforeWrite(current, bytes.byteLength, now, this.config.rolling)) {
      await this.seal(bucketId, current);
      current = undefined;
    }
    current ??= await this.openPart(bucketId, now);
    this.append(current, bytes, now);
    if (current.bufferedBytes >= this.bufferLimit) await this.drain(current);
  }

  private async openPart(bucketId: string, now: number): Promise<OpenBucketPart> {
    const { subtaskIndex } = this.context;
    const prefix = this.config.partPrefix;
    const counter = this.counters.get(bucketId) ?? (await this.store.nextCounter(bucketId, prefix, subtaskIndex));
    this.counters.set(bucketId, counter + 1);
    const part = await this.store.open(bucketId, partName(prefix, subtaskIndex, counter, this.encoder.extension));
    const header = this.encoder.header;
    const opened: OpenBucketPart = {
      part,
      buffered: header.byteLength > 0 ? [header] : [],
      bufferedBytes: header.byteLength,
      bytes: header.byteLength,
      openedAt: now,
      lastWriteAt: now,
    };
    this.open.set(bucketId, opened);
    return opened;
  }

  private async drain(part: OpenBucketPart): Promise<void> {
    if (part.bufferedBytes === 0) return;
    const data = Buffer.concat(part.buffered);
    part.buffered = [];
    part.bufferedBytes = 0;
    await part.part.write(data);
  }

  private async seal(bucketId: string, part: OpenBucketPart): Promise<void> {
    this.open.delete(bucketId);
    await this.drain(part);
    this.sealed.push(await part.part.seal());
  }

  private async rollIdleParts(): Promise<void> {
    const now = Date.now();
    for (const [bucketId, part] of [...this.open])
      if (rollOnTime(part, now, this.config.rolling)) await this.seal(bucketId, part);
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    this.queued++;
    const run = this.tail.then(() => {
      if (this.failure) throw this.failure;
      return step();
    });
    this.tail = run.then(
      () => void this.queued--,
      (error: unknown) => {
        this.queued--;
        this.failure ??= error instanceof Error ? error : new Error(String(error));
      },
    );
    return run;
  }

  /** Writes what is buffered to the open parts (they stay open until pre-commit). */
  flush(): Promise<void> {
    return this.enqueue(async () => {
      for (const part of this.open.values()) await this.drain(part);
    });
  }

  /** Pre-commit at the barrier: every open part is sealed (rolled on checkpoint) and handed over. */
  async prepareCommit(): Promise<PartCommittable[]> {
    await this.enqueue(async () => {
      for (const [bucketId, part] of [...this.open]) await this.seal(bucketId, part);
    });
    const committables = this.sealed;
    this.sealed = [];
    return committables;
  }

  /** Parts not handed over for commit are dropped: no checkpoint recorded them, their records are replayed. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.tail;
    // Best effort: what is left behind stays hidden (a crashed process leaves the same).
    for (const part of this.open.values()) await part.part.discard().catch(() => {});
    for (const committable of this.sealed) await this.store.abandon(committable).catch(() => {});
    this.open.clear();
    this.sealed = [];
    this.store.close();
  }
}
