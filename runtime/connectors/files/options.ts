// The file sink's options: one zod schema (the single source of truth), so a
// bad option fails at job build time with an error naming its field.
import { z } from 'zod';
import { parseBucketPattern } from './buckets.ts';
import { describeConfigIssues } from '../option-issues.ts';
import { FileSinkConfigError } from './errors.ts';

const MiB = 1024 * 1024;

const csvFormat = z
  .object({
    type: z.literal('csv'),
    /** Column names, in order; each record's property of that name fills the column. */
    columns: z
      .array(z.string().min(1))
      .min(1)
      .refine((c) => new Set(c).size === c.length, 'column names must be unique'),
    header: z.boolean().default(true),
    delimiter: z
      .string()
      .length(1)
      .refine((d) => !['"', '\r', '\n'].includes(d), 'the delimiter cannot be a quote or a line break')
      .default(','),
    /** RFC 4180 says CRLF. */
    lineEnding: z.enum(['crlf', 'lf']).default('crlf'),
  })
  .strict();

const jsonFormat = z.object({ type: z.literal('json') }).strict();

const bucketing = z
  .object({
    /** Directory pattern: yyyy MM dd HH mm, quoted literals ('dt='yyyy-MM-dd), / for subdirectories. */
    pattern: z
      .string()
      .min(1)
      .superRefine((pattern, ctx) => {
        const problem = parseBucketPattern(pattern).error;
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .default('yyyy-MM-dd--HH'),
    /** Which clock places a record: its event timestamp or the wall clock when it is written. */
    time: z.enum(['event', 'processing']).default('processing'),
    timeZone: z
      .string()
      .refine((zone) => {
        try {
          new Intl.DateTimeFormat('en-US', { timeZone: zone });
          return true;
        } catch {
          return false;
        }
      }, 'not a known IANA time zone')
      .default('UTC'),
  })
  .strict();

export const fileSinkOptionsSchema = z
  .object({
    /** Names the sink in errors (default `files`). */
    name: z.string().min(1).default('files'),
    /** Base directory: file:///abs/dir, /abs/dir, or s3://bucket/prefix. */
    path: z
      .string()
      .regex(/^(file:\/\/\/|\/|s3:\/\/[^/]+)/, 'must be file:///absolute/dir, /absolute/dir or s3://bucket/prefix'),
    format: z.discriminatedUnion('type', [jsonFormat, csvFormat]).default({ type: 'json' }),
    rolling: z
      .object({
        /** A part is closed before a record would take it past this size. */
        maxPartSizeBytes: z
          .number()
          .int()
          .positive()
          .default(128 * MiB),
        /** A part open this long is closed (max part age). */
        rolloverIntervalMs: z
          .number()
          .int()
          .positive()
          .default(15 * 60_000),
        /** A part not written to for this long is closed. */
        inactivityIntervalMs: z.number().int().positive().default(60_000),
        /** How often open parts are checked for age and inactivity. */
        checkIntervalMs: z.number().int().positive().default(1000),
      })
      .strict()
      .prefault({}),
    /** Directory buckets from record or wall-clock time; false writes every part in the base directory. */
    bucket: z.union([z.literal(false), bucketing]).prefault({}),
    partPrefix: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only')
      .default('part'),
    /** S3 client options (as for checkpoint storage); the standard AWS environment variables otherwise. */
    s3: z
      .object({
        endpoint: z.string().url().optional(),
        region: z.string().min(1).optional(),
        forcePathStyle: z.boolean().optional(),
        // Not strict: the AWS SDK marks credential objects it was given (`$source`), and users share them.
        credentials: z.object({ accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1) }).optional(),
        /** Bytes per uploaded part of a multipart upload (S3's minimum is 5 MiB, except for the last). */
        partSizeBytes: z
          .number()
          .int()
          .min(5 * MiB)
          .default(8 * MiB),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type FileSinkConfig = z.input<typeof fileSinkOptionsSchema>;
export type ParsedFileSinkConfig = z.output<typeof fileSinkOptionsSchema>;
export type RollingPolicy = ParsedFileSinkConfig['rolling'];
export type CsvFormat = z.output<typeof csvFormat>;

/** Parses the options once, at the boundary; throws FileSinkConfigError naming every bad field. */
export function parseFileSinkOptions(options: unknown): ParsedFileSinkConfig {
  const parsed = fileSinkOptionsSchema.safeParse(options);
  if (parsed.success) return parsed.data;
  const name =
    typeof options === 'object' && options !== null && typeof (options as { name?: unknown }).name === 'string'
      ? (options as { name: string }).name
      : 'files';
  throw new FileSinkConfigError(name, describeConfigIssues(parsed.error));
}
