// An in-memory channel between two subtasks: a bounded queue of record batches
// and events. Writers never block mid-batch; a full channel makes the producing
// task wait before its next batch (backpressure), so memory stays bounded.
import type { ChannelItem } from './elements.ts';

/** The producing end of a channel, as a RecordWriter uses it (local, or to another process). */
export interface OutputChannel {
  push(item: ChannelItem): void;
  /** No room for another item: the producer waits (backpressure). */
  isFull(): boolean;
  /** Resolves once there is room; rejects if the channel broke (its peer went away). */
  whenWritable(): Promise<void>;
  /** Wakes a waiting producer (the job is being cancelled). */
  release(): void;
}

/** The consuming end of a channel, as an InputGate reads it. */
export interface InputChannel {
  readonly length: number;
  /** The next item, or undefined; throws once the channel broke and its items are consumed. */
  poll(): ChannelItem | undefined;
  /** Called when an item arrives, to wake the consuming task. */
  onData: () => void;
}

export class LocalChannel implements OutputChannel, InputChannel {
  private readonly queue: ChannelItem[] = [];
  private head = 0;
  private writableWaiters: (() => void)[] = [];
  /** Called when an item arrives, to wake the consuming task. */
  onData: () => void = () => {};

  constructor(readonly capacity: number) {}

  get length(): number {
    return this.queue.length - this.head;
  }

  isFull(): boolean {
    return this.length >= this.capacity;
  }

  push(item: ChannelItem): void {
    this.queue.push(item);
    this.onData();
  }

  poll(): ChannelItem | undefined {
    if (this.head >= this.queue.length) return undefined;
    const item = this.queue[this.head]!;
    this.queue[this.head++] = undefined as never;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    if (this.writableWaiters.length > 0 && !this.isFull()) {
      const waiters = this.writableWaiters;
      this.writableWaiters = [];
      for (const wake of waiters) wake();
    }
    return item;
  }

  /** Resolves once the channel has room. */
  whenWritable(): Promise<void> {
    if (!this.isFull()) return Promise.resolve();
    return new Promise((resolve) => this.writableWaiters.push(resolve));
  }

  /** Wakes any waiting producer (the job is being cancelled). */
  release(): void {
    const waiters = this.writableWaiters;
    this.writableWaiters = [];
    for (const wake of waiters) wake();
  }
}
