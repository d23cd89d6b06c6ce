// The base of keyed operators: the key of each record selects the state and
// timers it sees. Holds the heap keyed state backend and both timer queues.
import type { KeySelector, TimerService } from '../api/functions.ts';
import { checkKey, type Key } from '../state/key.ts';
import { KeyedStateBackend } from '../state/keyed-state-backend.ts';
import type { DisposableStateStores } from '../state/state-backend.ts';
import type { KeyGroupSnapshot, KeyedStateSnapshot, TimerEntry } from '../state/keyed-snapshot.ts';
import { VOID_NAMESPACE, type Namespace } from '../state/state-table.ts';
import { TimerQueue } from '../time/timer-service.ts';
import { StreamOperator, type OperatorRestore, type OperatorSetup, type OperatorSnapshot } from './operator.ts';

export type AnyKeySelector = KeySelector<unknown, Key>;

export type { KeyGroupSnapshot } from '../state/keyed-snapshot.ts';

export abstract class KeyedOperator extends StreamOperator {
  protected backend!: KeyedStateBackend;
  protected readonly eventTimers = new TimerQueue();
  protected readonly processingTimers = new TimerQueue();
  private scheduled: { at: number; cancel: () => void } | undefined;
  private keySet = false;
  /** An on-disk backend's files, removed on close; undefined for the heap. */
  private stores: DisposableStateStores | undefined;

  constructor(
    protected readonly keySelector: AnyKeySelector,
    protected readonly keySelector2?: AnyKeySelector,
  ) {
    super();
  }

  override setup(setup: OperatorSetup): void {
    super.setup(setup);
    this.stores = setup.openStateStores?.();
    this.backend = new KeyedStateBackend({
      keyGroupRange: setup.keyGroupRange,
      maxParallelism: setup.maxParallelism,
      now: () => setup.clock.now(),
      stores: this.stores,
    });
  }

  /** Sets the current key from a record of input 1 (or 2). */
  protected setKeyFromRecord(value: unknown, input: 1 | 2 = 1): void {
    const selector = input === 1 ? this.keySelector : this.keySelector2!;
    const key = selector(value);
    const type = typeof key;
    // Fast path for the common keys; NaN (never equal to itself) goes to checkKey to be refused.
    if (type !== 'string' && (type !== 'number' || key !== key)) checkKey(key);
    this.backend.setCurrentKey(key);
    this.keySet = true;
  }

  /** Leaves key context (the broadcast side of a keyed broadcast operator has no key). */
  protected clearCurrentKey(): void {
    this.keySet = false;
    this.backend.clearCurrentKey();
  }

  override currentKey(): Key | undefined {
    return this.keySet ? this.backend.getCurrentKey() : undefined;
  }

  protected registerEventTimeTimer(timestamp: number, namespace: Namespace = VOID_NAMESPACE): void {
    this.eventTimers.register(timestamp, this.backend.currentGroup, this.backend.currentKeyId, namespace);
  }

  protected deleteEventTimeTimer(timestamp: number, namespace: Namespace = VOID_NAMESPACE): void {
    this.eventTimers.delete(timestamp, this.backend.currentKeyId, namespace);
  }

  protected registerProcessingTimeTimer(timestamp: number, namespace: Namespace = VOID_NAMESPACE): void {
    if (this.processingTimers.register(timestamp, this.backend.currentGroup, this.backend.currentKeyId, namespace)) {
      if (this.scheduled === undefined || timestamp < this.scheduled.at) this.scheduleNextProcessingTimer();
    }
  }

  protected deleteProcessingTimeTimer(timestamp: number, namespace: Namespace = VOID_NAMESPACE): void {
    this.processingTimers.delete(timestamp, this.backend.currentKeyId, namespace);
  }

  private scheduleNextProcessingTimer(): void {
    this.scheduled?.cancel();
    this.scheduled = undefined;
    const next = this.processingTimers.nextTimestamp();
    if (next === undefined) return;
    const cancel = this.setupInfo.scheduleAt(next, () => {
      this.scheduled = undefined;
      this.fireProcessingTimers(this.setupInfo.clock.now());
    });
    this.scheduled = { at: next, cancel };
  }

  private fireProcessingTimers(upTo: number): void {
    this.processingTimers.advance(upTo, (timestamp, target) => {
      this.backend.setCurrentKeyId(target.group, target.keyId);
      this.keySet = true;
      this.onProcessingTime(timestamp, target.namespace);
    });
    this.scheduleNextProcessingTimer();
  }

  override processWatermark(timestamp: number): void {
    this.currentWatermark = timestamp;
    this.eventTimers.advance(timestamp, (time, target) => {
      this.backend.setCurrentKeyId(target.group, target.keyId);
      this.keySet = true;
      this.onEventTime(time, target.namespace);
    });
    this.output.emitWatermark(timestamp);
  }

  /**
   * At end of input, pending processing-time timers fire at once, so a bounded
   * job loses no processing-time window (event-time ones fire on the final
   * watermark). Only timers up to the latest one pending now fire: a timer
   * that keeps re-registering itself later cannot keep the job alive.
   */
  override finish(): void | Promise<void> {
    const last = this.processingTimers.lastTimestamp();
    if (last !== undefined) this.fireProcessingTimers(last);
  }

  override async close(): Promise<void> {
    this.scheduled?.cancel();
    this.scheduled = undefined;
    await this.stores?.dispose();
    this.stores = undefined;
  }

  protected abstract onEventTime(timestamp: number, namespace: Namespace): void;
  protected abstract onProcessingTime(timestamp: number, namespace: Namespace): void;

  /** The TimerService user functions see: timers of the current key, in the VOID namespace. */
  protected userTimerService(): TimerService {
    return {
      currentProcessingTime: () => this.setupInfo.clock.now(),
      currentWatermark: () => this.currentWatermark,
      registerEventTimeTimer: (t) => this.registerEventTimeTimer(t),
      registerProcessingTimeTimer: (t) => this.registerProcessingTimeTimer(t),
      deleteEventTimeTimer: (t) => this.deleteEventTimeTimer(t),
      deleteProcessingTimeTimer: (t) => this.deleteProcessingTimeTimer(t),
    };
  }

  override snapshotState(checkpointId: number): OperatorSnapshot {
    return { ...super.snapshotState(checkpointId), keyed: this.snapshotKeyedState() };
  }

  override restoreState(restore: OperatorRestore): void {
    super.restoreState(restore);
    this.restoreKeyedState(restore.keyed);
  }

  /**
   * This subtask's state and timers at the barrier. Timers are copied now (they
   * are small); state tables are captured copy-on-write and read later.
   */
  snapshotKeyedState(): KeyedStateSnapshot {
    const { start } = this.backend.keyGroupRange;
    const timers = new Map<number, { eventTimers: TimerEntry[]; processingTimers: TimerEntry[] }>();
    const timersOf = (keyGroup: number) => {
      let entry = timers.get(keyGroup);
      if (!entry) timers.set(keyGroup, (entry = { eventTimers: [], processingTimers: [] }));
      return entry;
    };
    for (const [timestamp, group, keyId, namespace] of this.eventTimers.entries()) {
      timersOf(start + group).eventTimers.push([timestamp, keyId, namespace]);
    }
    for (const [timestamp, group, keyId, namespace] of this.processingTimers.entries()) {
      timersOf(start + group).processingTimers.push([timestamp, keyId, namespace]);
    }
    const state = this.backend.snapshot();
    const keyGroups = [...new Set([...state.keyGroups, ...timers.keys()])].sort((a, b) => a - b);
    return {
      keyGroups,
      readGroup: (keyGroup, use) => {
        const groupTimers = timers.get(keyGroup) ?? { eventTimers: [], processingTimers: [] };
        try {
          return use({ keyGroup, states: state.statesOf(keyGroup), ...groupTimers });
        } finally {
          state.releaseGroup(keyGroup);
          timers.delete(keyGroup);
        }
      },
      release: () => {
        state.release();
        timers.clear();
      },
    };
  }

  /** Loads key groups of a snapshot (all of them inside this subtask's range); call after setup, before open. */
  restoreKeyedState(snapshots: KeyGroupSnapshot[]): void {
    const { start } = this.backend.keyGroupRange;
    for (const snapshot of snapshots) {
      this.backend.restoreKeyGroup(snapshot.keyGroup, snapshot.states);
      const group = snapshot.keyGroup - start;
      for (const [timestamp, keyId, namespace] of snapshot.eventTimers) {
        this.eventTimers.register(timestamp, group, keyId, namespace);
      }
      for (const [timestamp, keyId, namespace] of snapshot.processingTimers) {
        this.processingTimers.register(timestamp, group, keyId, namespace);
      }
    }
    this.scheduleNextProcessingTimer();
  }

  /** Keyed state entries per state name (tests, metrics). */
  stateEntryCounts(): Record<string, number> {
    return this.backend.entryCounts();
  }
}
