// StreamEnvironment: where a job starts. It holds the job's settings, creates
// sources, records the sinks, and runs the job on the local mini-cluster.
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultCheckpointSettings, type CheckpointSettings } from '../checkpoint/coordinator.ts';
import { openCheckpointStorage, type CheckpointStorage, type S3StorageOptions } from '../checkpoint/storage.ts';
import { readMetadata } from '../checkpoint/metadata.ts';
import { planRestore, type RestorePlan } from '../checkpoint/restore-plan.ts';
import { splitDirectoryUri, type JobControl } from '../execution/job-control.ts';
import { defaultConfiguration, type Configuration } from '../config/configuration.ts';
import type { RestartStrategy } from '../recovery/restart-strategy.ts';
import { collectionSource } from '../connectors/collection-source.ts';
import { dataGenerator, type DataGeneratorOptions } from '../connectors/datagen.ts';
import type { Source, SourceSplit } from '../connectors/source.ts';
import { latestRestorePlan, runOnMiniCluster, type JobExecutionResult } from '../execution/mini-cluster.ts';
import { buildJobGraph, type JobGraph } from '../graph/job-graph.ts';
import type { Transformation } from '../graph/transformation.ts';
import { DEFAULT_MAX_PARALLELISM, checkParallelism } from '../state/key-groups.ts';
import { loadStateBackend, type StateBackendSpec } from '../state/state-backend.ts';
import { systemClock, type ProcessingTimeClock } from '../time/processing-time.ts';
import type { WatermarkStrategy } from '../time/watermark-strategy.ts';
import { DataStream } from './data-stream.ts';

export interface ExecuteOptions {
  /** Aborting cancels the job. */
  signal?: AbortSignal;
  /** Names the job's checkpoints (default: a new random id). */
  jobId?: string;
  onRestart?: (failure: unknown, delayMs: number) => void;
  /** A handle for savepoints while the job runs. */
  control?: JobControl;
  /** Start from this savepoint (or retained checkpoint) directory. */
  fromSavepoint?: string;
  /** Drop state of operators the job no longer has instead of refusing the savepoint. */
  allowNonRestoredState?: boolean;
  /**
   * Resume from the newest usable checkpoint of `jobId` when one exists, in
   * preference to `fromSavepoint` (as Flink's JobManager does with HA): a job
   * process that was killed and started again continues where it was.
   */
  resumeFromLatestCheckpoint?: boolean;
  /** Told where the job's state comes from before it starts (savepoint or resumed checkpoint). */
  onRestore?: (location: string, kind: 'savepoint' | 'checkpoint') => void;
}

export interface EnvironmentSettings {
  parallelism: number;
  maxParallelism: number;
  /** How often sources and timestamp assigners emit watermarks (Flink's auto-watermark interval). */
  autoWatermarkIntervalMs: number;
  /** Batches a channel buffers before its producer waits: the bound on in-flight data. */
  channelCapacity: number;
  /** Where keyed state lives: the heap (default) or lmdb on local disk. */
  stateBackend: StateBackendSpec;
}

/**
 * The entry point of a job: sources, settings, execution.
 *
 * @example
 * export default function build(env: StreamEnvironment) {
 *   env.fromCollection(['a', 'b', 'a']).keyBy((w) => w).reduce((a) => a).print()
 * }
 */
export class StreamEnvironment {
  private nextId = 1;
  readonly sinks: Transformation[] = [];
  /**
   * The job's configuration (`brook run --config FILE --env E --set k=v`), validated
   * and frozen; the built-in defaults when none was given. Its `user` section
   * holds the job's own settings: `env.config.userSection(schema)`.
   */
  config: Configuration = defaultConfiguration;
  readonly settings: EnvironmentSettings = {
    parallelism: 1,
    maxParallelism: DEFAULT_MAX_PARALLELISM,
    autoWatermarkIntervalMs: 200,
    channelCapacity: 4,
    stateBackend: { kind: 'heap' },
  };
  private clock: ProcessingTimeClock = systemClock;
  private checkpointSettings: CheckpointSettings | undefined;
  private checkpointStorageUri: string | undefined;
  private checkpointStorageOptions: S3StorageOptions = {};
  private restartStrategy: RestartStrategy | undefined;

  /**
   * Takes a checkpoint every `intervalMs` (aligned barriers, exactly-once by default),
   * so a failed job restarts from its latest completed checkpoint.
   */
  enableCheckpointing(intervalMs: number, settings: Partial<Omit<CheckpointSettings, 'intervalMs'>> = {}): this {
    if (!(intervalMs > 0)) throw new RangeError(`checkpoint interval must be > 0 ms, got ${intervalMs}`);
    this.checkpointSettings = { ...defaultCheckpointSettings, ...settings, intervalMs };
    return this;
  }

  /** Where checkpoints go: `file:///dir` or `s3://bucket/prefix` (default: a folder under the system temp dir). */
  setCheckpointStorage(uri: string, s3Options: S3StorageOptions = {}): this {
    this.checkpointStorageUri = uri;
    this.checkpointStorageOptions = s3Options;
    return this;
  }

  /** How failures are handled: default none without checkpointing, fixed-delay (unlimited, 1 s) with it, as in Flink. */
  setRestartStrategy(strategy: RestartStrategy): this {
    this.restartStrategy = strategy;
    return this;
  }

  /** A fresh id for a transformation; ids order operators by creation. */
  newId(): number {
    return this.nextId++;
  }

  setParallelism(parallelism: number): this {
    checkParallelism(this.settings.maxParallelism, parallelism);
    this.settings.parallelism = parallelism;
    return this;
  }

  getParallelism(): number {
    return this.settings.parallelism;
  }

  /** The number of key groups: fixed for the job's lifetime, the upper bound of any later rescaling. */
  setMaxParallelism(maxParallelism: number): this {
    checkParallelism(maxParallelism, 1);
    this.settings.maxParallelism = maxParallelism;
    return this;
  }

  getMaxParallelism(): number {
    return this.settings.maxParallelism;
  }

  setAutoWatermarkInterval(ms: number): this {
    if (!(ms >= 0)) throw new RangeError(`auto-watermark interval must be >= 0 ms, got ${ms}`);
    this.settings.autoWatermarkIntervalMs = ms;
    return this;
  }

  /**
   * Where keyed state lives. `{ kind: 'lmdb', directory }` keeps it in an
   * embedded on-disk database per operator subtask, for state larger than memory
   * (Flink's RocksDB backend plays this part); snapshots stay asynchronous.
   */
  setStateBackend(spec: StateBackendSpec): this {
    this.settings.stateBackend = spec;
    return this;
  }

  setChannelCapacity(batches: number): this {
    if (!Number.isInteger(batches) || batches < 1)
      throw new RangeError(`channel capacity must be >= 1, got ${batches}`);
    this.settings.channelCapacity = batches;
    return this;
  }

  /** Replaces the processing-time clock (tests use a ManualClock). */
  setProcessingTimeClock(clock: ProcessingTimeClock): this {
    this.clock = clock;
    return this;
  }

  getProcessingTimeClock(): ProcessingTimeClock {
    return this.clock;
  }

  fromSource<T, S extends SourceSplit>(
    source: Source<T, S>,
    watermarkStrategy?: WatermarkStrategy<T>,
    name = 'Source',
  ): DataStream<T> {
    return new DataStream<T>(this, {
      kind: 'source',
      id: this.newId(),
      name,
      uid: undefined,
      parallelism: undefined,
      source: source as unknown as Source<unknown, SourceSplit>,
      watermarkStrategy: watermarkStrategy as WatermarkStrategy<unknown> | undefined,
    });
  }

  /** The elements in order, from a single reader (parallelism 1, as in Flink). */
  fromCollection<T>(elements: readonly T[], name = 'Collection Source'): DataStream<T> {
    return this.fromSource(collectionSource(elements), undefined, name).setParallelism(1);
  }

  /** The deterministic data generator; see DataGeneratorOptions. */
  fromGenerator<T>(
    options: DataGeneratorOptions<T>,
    watermarkStrategy?: WatermarkStrategy<T>,
    name = 'Data Generator',
  ): DataStream<T> {
    return this.fromSource(dataGenerator(options), watermarkStrategy, name);
  }

  /** The job graph the recorded pipeline compiles to (chains, edges, parallelism). */
  getJobGraph(jobName = 'Brook Job'): JobGraph {
    return buildJobGraph(jobName, this.sinks, {
      defaultParallelism: this.settings.parallelism,
      maxParallelism: this.settings.maxParallelism,
    });
  }

  /** Runs the job on the local mini-cluster until its sources end (or `signal` aborts it). */
  async execute(jobName = 'Brook Job', options: ExecuteOptions = {}): Promise<JobExecutionResult> {
    const graph = this.getJobGraph(jobName);
    const openStorage = (uri: string) => openCheckpointStorage(uri, this.checkpointStorageOptions);
    const restore = options.fromSavepoint
      ? await this.planSavepointRestore(
          options.fromSavepoint,
          graph,
          options.allowNonRestoredState ?? false,
          openStorage,
        )
      : undefined;
    const jobId = options.jobId ?? randomUUID().replaceAll('-', '');
    const checkpointing = this.checkpointSettings && {
      settings: this.checkpointSettings,
      storage: await openCheckpointStorage(
        this.checkpointStorageUri ?? `file://${join(tmpdir(), 'brook-checkpoints')}`,
        this.checkpointStorageOptions,
      ),
      jobId,
    };
    const restartStrategy =
      this.restartStrategy ??
      (checkpointing ? { kind: 'fixed-delay', attempts: Number.MAX_SAFE_INTEGER, delayMs: 1000 } : { kind: 'none' });
    const resumed =
      options.resumeFromLatestCheckpoint && options.jobId && checkpointing
        ? await latestRestorePlan(graph, { checkpointing })
        : undefined;
    if (resumed) options.onRestore?.(resumed.location, 'checkpoint');
    else if (restore) options.onRestore?.(restore.location, 'savepoint');
    return runOnMiniCluster(graph, {
      clock: this.clock,
      autoWatermarkIntervalMs: this.settings.autoWatermarkIntervalMs,
      channelCapacity: this.settings.channelCapacity,
      signal: options.signal,
      checkpointing,
      restartStrategy,
      onRestart: options.onRestart,
      control: options.control,
      openStorage,
      restore: resumed ?? restore,
      openStateStores: await loadStateBackend(this.settings.stateBackend),
    });
  }

  private async planSavepointRestore(
    uri: string,
    graph: JobGraph,
    allowNonRestoredState: boolean,
    openStorage: (uri: string) => Promise<CheckpointStorage>,
  ): Promise<RestorePlan> {
    const { parent, name } = splitDirectoryUri(uri);
    const storage = await openStorage(parent);
    const metadata = await readMetadata(storage, name);
    return planRestore(storage, name, metadata, {
      uids: graph.nodes.map((n) => n.uid),
      maxParallelism: graph.maxParallelism,
      allowNonRestoredState,
    });
  }
}
