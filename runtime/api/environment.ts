// StreamEnvironment: where a job starts. It holds the job's settings, creates
// sources, records the sinks, and runs the job on the local mini-cluster.
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  defaultCheckpointSettings,
  type CheckpointListener,
  type CheckpointSettings,
} from '../checkpoint/coordinator.ts';
import type { MetricsRegistry } from '../metrics/registry.ts';
import { openCheckpointStorage, type CheckpointStorage, type S3StorageOptions } from '../checkpoint/storage.ts';
import { observeCheckpointStorage, type CheckpointObserver } from '../checkpoint/observed-storage.ts';
import type { JobControl } from '../execution/job-control.ts';
import { defaultConfiguration, type Configuration } from '../config/configuration.ts';
import type { RestartStrategy } from '../recovery/restart-strategy.ts';
import { collectionSource } from '../connectors/collection-source.ts';
import { dataGenerator, type DataGeneratorOptions } from '../connectors/datagen.ts';
import type { Source, SourceSplit } from '../connectors/source.ts';
import {
  JobCancelledError,
  latestRestorePlan,
  runOnMiniCluster,
  savepointRestorePlan,
  type JobExecutionResult,
} from '../execution/mini-cluster.ts';
import { clearJobEnded, firstFreeCheckpointId, jobEnding, markJobEnded } from '../checkpoint/job-ending.ts';
import { buildJobGraph, type JobGraph } from '../graph/job-graph.ts';
import type { Transformation } from '../graph/transformation.ts';
import { DEFAULT_MAX_PARALLELISM, checkParallelism } from '../state/key-groups.ts';
import { loadStateBackend, type StateBackendSpec } from '../state/state-backend.ts';
import { systemClock, type ProcessingTimeClock } from '../time/processing-time.ts';
import type { WatermarkStrategy } from '../time/watermark-strategy.ts';
import { rootLogger, type Logger } from '../logging/logger.ts';
import { DataStream } from './data-stream.ts';

export interface ExecuteOptions {
  /** Aborting cancels the job. */
  signal?: AbortSignal;
  /** Names the job's checkpoints (default: a new random id). */
  jobId?: string;
  /** The id of this run when `jobId` is not fixed: it names its checkpoints and log lines (default: a new random id). */
  runId?: string;
  /** The job's log context (default: the process's); the job's id and name are added to it. */
  log?: Logger;
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
  /** Told as each attempt starts (0, then one after every restart) and what it restores; feeds job status. */
  onAttemptStart?: (
    attempt: number,
    restoredFrom: { checkpointId: number; location: string; isSavepoint: boolean } | undefined,
  ) => void;
  /** Hears of checkpoints and savepoints as they are written (observed-storage.ts); feeds job status. */
  checkpointObserver?: CheckpointObserver;
  /** Registers the job's task, operator and user metrics there (docs/metrics.md); they count either way. */
  metrics?: MetricsRegistry;
  /** Told by the checkpoint coordinator of every checkpoint's start, completion and failure (job metrics). */
  checkpointListener?: CheckpointListener;
}

export interface ExecutionSettings {
  clock: ProcessingTimeClock;
  autoWatermarkIntervalMs: number;
  channelCapacity: number;
  stateBackend: StateBackendSpec;
  /** Undefined: checkpointing is off. */
  checkpointing: CheckpointSettings | undefined;
  checkpointStorageUri: string;
  storageOptions: S3StorageOptions;
  restartStrategy: RestartStrategy;
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

  /** What running the job needs besides its graph: read by the JobManager and the TaskManagers. */
  executionSettings(): ExecutionSettings {
    const checkpointing = this.checkpointSettings;
    return {
      clock: this.clock,
      autoWatermarkIntervalMs: this.settings.autoWatermarkIntervalMs,
      channelCapacity: this.settings.channelCapacity,
      stateBackend: this.settings.stateBackend,
      checkpointing,
      checkpointStorageUri: this.checkpointStorageUri ?? `file://${join(tmpdir(), 'brook-checkpoints')}`,
      storageOptions: this.checkpointStorageOptions,
      restartStrategy:
        this.restartStrategy ??
        (checkpointing ? { kind: 'fixed-delay', attempts: Number.MAX_SAFE_INTEGER, delayMs: 1000 } : { kind: 'none' }),
    };
  }

  /** Runs the job on the local mini-cluster until its sources end (or `signal` aborts it). */
  async execute(jobName = 'Brook Job', options: ExecuteOptions = {}): Promise<JobExecutionResult> {
    const graph = this.getJobGraph(jobName);
    const observer = options.checkpointObserver;
    const observed = (storage: CheckpointStorage) => (observer ? observeCheckpointStorage(storage, observer) : storage);
    const openStorage = async (uri: string) =>
      observed(await openCheckpointStorage(uri, this.checkpointStorageOptions));
    const restore = options.fromSavepoint
      ? await savepointRestorePlan(options.fromSavepoint, graph, options.allowNonRestoredState ?? false, openStorage)
      : undefined;
    const jobId = options.jobId ?? options.runId ?? randomUUID().replaceAll('-', '');
    const log = (options.log ?? rootLogger()).child({ jobId, jobName: graph.jobName });
    const checkpointing = this.checkpointSettings && {
      settings: this.checkpointSettings,
      storage: await openStorage(this.checkpointStorageUri ?? `file://${join(tmpdir(), 'brook-checkpoints')}`),
      jobId,
    };
    const restartStrategy =
      this.restartStrategy ??
      (checkpointing ? { kind: 'fixed-delay', attempts: Number.MAX_SAFE_INTEGER, delayMs: 1000 } : { kind: 'none' });
    // A job id whose job ended (e.g. stopped with a savepoint) is not resumed: the run starts from its savepoint.
    const ended = options.jobId && checkpointing ? await jobEnding(checkpointing.storage, jobId) : undefined;
    const resumed =
      options.resumeFromLatestCheckpoint && options.jobId && checkpointing && !ended
        ? await latestRestorePlan(graph, { checkpointing })
        : undefined;
    if (options.jobId && checkpointing && ended) await clearJobEnded(checkpointing.storage, jobId);
    const start = resumed ?? restore;
    const firstCheckpointId = Math.max(
      (start?.checkpointId ?? 0) + 1,
      ended && checkpointing ? await firstFreeCheckpointId(checkpointing.storage, jobId) : 0,
    );
    if (resumed) options.onRestore?.(resumed.location, 'checkpoint');
    else if (restore) options.onRestore?.(restore.location, 'savepoint');
    const run = runOnMiniCluster(graph, {
      clock: this.clock,
      autoWatermarkIntervalMs: this.settings.autoWatermarkIntervalMs,
      channelCapacity: this.settings.channelCapacity,
      signal: options.signal,
      checkpointing,
      restartStrategy,
      onRestart: options.onRestart,
      onAttemptStart:
        options.onAttemptStart &&
        ((attempt, plan) =>
          options.onAttemptStart!(
            attempt,
            plan && {
              checkpointId: plan.checkpointId,
              location: plan.location,
              isSavepoint: plan === restore,
            },
          )),
      control: options.control,
      openStorage,
      restore: start,
      firstCheckpointId,
      openStateStores: await loadStateBackend(this.settings.stateBackend),
      metrics: options.metrics,
      checkpointListeners: options.checkpointListener && [options.checkpointListener],
      log,
    });
    if (!options.jobId || !checkpointing) return run;
    // A fixed job id that reached a terminal state is not resumed by the next run under it (see job-ending.ts).
    const storage = checkpointing.storage;
    try {
      const result = await run;
      await markJobEnded(storage, jobId, { state: 'FINISHED', at: Date.now(), savepoint: result.savepoint });
      return result;
    } catch (error) {
      const cancelled = error instanceof JobCancelledError;
      // Cancelled with its checkpoints deleted, nothing is left to resume: no marker either.
      if (!cancelled || checkpointing.settings.onCancellation !== 'delete') {
        await markJobEnded(storage, jobId, { state: cancelled ? 'CANCELED' : 'FAILED', at: Date.now() }).catch(
          () => {},
        );
      }
      throw error;
    }
  }
}
