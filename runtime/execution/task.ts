// One parallel instance of a job vertex: its chain of operators, the gates it
// reads and the writers it feeds, run as a loop that interleaves input batches
// with "mails" (timers, periodic watermarks) so a callback never runs mid-record.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { OperatorSnapshot, StreamOperator } from '../operators/operator.ts';
import type { SourceOperator } from '../operators/source-operator.ts';
import { TaskTimes } from '../metrics/task-metrics.ts';
import { WatermarkCombiner } from '../time/watermark-combiner.ts';
import { END_OF_INPUT, MAX_WATERMARK, type BarrierEvent } from './elements.ts';
import type { InputGate } from './input-gate.ts';
import { logger, type Logger } from '../logging/logger.ts';
import type { RecordWriter } from './record-writer.ts';
import { annotate, describeRecord, type UserFunctionError } from './user-function-error.ts';

export const SOURCE_BATCH_SIZE = 512;

/** Where a task hands its snapshot when it has taken its part of a checkpoint. */
export interface CheckpointAcknowledger {
  acknowledge(checkpointId: number, snapshots: OperatorSnapshot[]): void;
}

export interface TaskParts {
  name: string;
  subtaskIndex: number;
  /** Head first, then the chained operators in order. */
  operators: StreamOperator[];
  /** The head operator's inputs: [input 1] or [input 1, input 2]; none for a source task. */
  gates: InputGate[];
  writers: RecordWriter[];
  checkpoints?: CheckpointAcknowledger;
  /** Exactly-once: an input that delivered barrier n waits for the other. At-least-once: both keep flowing. */
  alignBarriers: boolean;
  /** Log context of this task: job, task (vertex name and id), subtask. */
  log?: Logger;
}

export class Task {
  private readonly mails: (() => void)[] = [];
  private wake: (() => void) | undefined;
  private cancelled = false;
  private readonly head: StreamOperator;
  private readonly inputWatermarks: WatermarkCombiner;
  /** A checkpoint a source task was asked to take at its next step. */
  private triggeredCheckpoint: BarrierEvent | undefined;
  /** Stop with drain: the triggered checkpoint first ends event time at this source. */
  private drainBeforeBarrier = false;
  /** Stop-with-savepoint checkpoints that failed: the job goes on, so tasks do not halt at them. */
  private readonly abortedStops = new Set<number>();
  /** Inputs whose barrier for the running alignment arrived (two-input tasks align across inputs). */
  private readonly alignedInputs = new Set<number>();
  private alignedBarrier: BarrierEvent | undefined;
  /** When the first barrier of the running alignment reached any input (performance.now()). */
  private alignmentStartMs: number | undefined;
  /** How long the last alignment took, from the first barrier to the last (metrics); undefined before one. */
  lastAlignmentMs: number | undefined;
  /** Commits of completed checkpoints; they never reject (a failure lands in `failedCommit`). */
  private backgroundWork: Promise<void>[] = [];
  /** The first commit that failed while the task ran: the task loop fails with it. */
  private failedCommit: { error: unknown } | undefined;
  private finished = false;
  /** Checkpoint completions that arrived after the task finished, run in order outside the task loop. */
  private afterFinish: Promise<void> = Promise.resolve();
  /** Time spent busy, idle and backpressured, read by metrics. */
  readonly times = new TaskTimes();
  private readonly log: Logger;

  constructor(private readonly parts: TaskParts) {
    this.head = parts.operators[0]!;
    this.log = logger('execution', parts.log);
    this.inputWatermarks = new WatermarkCombiner(parts.gates.length);
    for (const gate of parts.gates) for (const channel of gate.channels) channel.onData = () => this.notify();
  }

  get name(): string {
    return `${this.parts.name} (${this.parts.subtaskIndex + 1})`;
  }

  /** Queues `action` to run in the task loop between batches. */
  mail(action: () => void): void {
    this.mails.push(action);
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    if (wake) {
      this.wake = undefined;
      wake();
    }
  }

  /**
   * Resolves at the next notify, or at once when mail is waiting or the task was
   * cancelled: a notify that came while the task was busy must not be lost.
   */
  private signal(): Promise<void> {
    if (this.cancelled || this.mails.length > 0 || this.failedCommit) return Promise.resolve();
    return new Promise((resolve) => (this.wake = resolve));
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** Batches and events waiting in this task's input channels (metrics). */
  inputQueueLength(): number {
    let queued = 0;
    for (const gate of this.parts.gates) for (const channel of gate.channels) queued += channel.length;
    return queued;
  }

  /** Asks a source task to take checkpoint `checkpointId` between two reads. */
  triggerCheckpoint(checkpointId: number, stop = false, drain = false): void {
    this.mail(() => {
      this.triggeredCheckpoint = { kind: 'barrier', checkpointId, stop };
      this.drainBeforeBarrier = drain;
    });
  }

  /** Checkpoint `checkpointId` completed everywhere: operators may commit side effects. */
  notifyCheckpointComplete(checkpointId: number): Promise<void> | undefined {
    if (this.finished) {
      // The loop has ended: commits tied to its final snapshot run here, in order; the caller handles failure.
      const done = this.afterFinish.then(() => this.runCompletion(checkpointId));
      this.afterFinish = done.catch(() => {});
      return done;
    }
    this.mail(() => {
      for (const operator of this.parts.operators) {
        const done = operator.notifyCheckpointComplete(checkpointId);
        if (done) this.backgroundWork.push(this.handleCommit(done, operator.name, checkpointId));
      }
    });
    return undefined;
  }

  /**
   * A commit runs beside the task loop, which may be cancelled before it
   * settles and then never awaits it: its failure is caught here, always. While
   * the task runs it fails the task (woken if idle); after cancellation the job
   * is already ending, so it is logged.
   */
  private handleCommit(done: Promise<void>, operatorName: string, checkpointId: number): Promise<void> {
    return done.catch((error: unknown) => {
      if (this.cancelled) this.logCommitFailure(error, operatorName, checkpointId);
      else {
        this.failedCommit ??= { error };
        this.notify();
      }
    });
  }

  /** A commit failure the job cannot report any more: it is ending for another reason. */
  private logCommitFailure(error: unknown, operator?: string, checkpointId?: number): void {
    this.log.warn(
      { event: 'commit-failed-after-cancel', failedOperator: operator, checkpointId, err: error },
      'a commit failed after the task was cancelled',
    );
  }

  private throwIfCommitFailed(): void {
    if (this.failedCommit) throw this.failedCommit.error;
  }

  /** Settles when the completions that arrived after the task finished have run. */
  whenCommitsAfterFinishDone(): Promise<void> {
    return this.afterFinish;
  }

  /**
   * A finished task's part of checkpoint `checkpointId`: its state as it was at
   * the end of its input (no barrier reaches it any more). Flink's checkpoints
   * with finished tasks do the same (FLIP-147).
   */
  snapshotFinished(checkpointId: number): OperatorSnapshot[] {
    return this.parts.operators.map((operator) => operator.snapshotState(checkpointId));
  }

  /**
   * For a stopped task: runs the completion of `checkpointId` directly
   * (stop-with-savepoint). A task that had finished before it runs it after
   * the completions still under way, as every completion after its end.
   */
  async completeCheckpointNow(checkpointId: number): Promise<void> {
    if (this.finished) return this.notifyCheckpointComplete(checkpointId);
    await this.runCompletion(checkpointId);
  }

  private async runCompletion(checkpointId: number): Promise<void> {
    for (const operator of this.parts.operators) await operator.notifyCheckpointComplete(checkpointId);
  }

  /** Takes this task's part of a checkpoint: pre-barrier work, snapshot, barrier downstream, acknowledgement. */
  private async performCheckpoint(barrier: BarrierEvent): Promise<void> {
    const { checkpointId } = barrier;
    for (const operator of this.parts.operators) await operator.prepareSnapshotPreBarrier(checkpointId);
    const snapshots = this.parts.operators.map((operator) => operator.snapshotState(checkpointId));
    for (const writer of this.parts.writers) writer.broadcastEvent(barrier);
    this.flushWriters();
    this.parts.checkpoints?.acknowledge(checkpointId, snapshots);
    if (barrier.stop) await this.haltUntilCancelled(checkpointId);
  }

  private async takeTriggeredCheckpoint(): Promise<void> {
    const barrier = this.triggeredCheckpoint;
    if (barrier === undefined) return;
    this.triggeredCheckpoint = undefined;
    if (this.drainBeforeBarrier) {
      this.drainBeforeBarrier = false;
      // MAX_WATERMARK goes out ahead of the barrier: what it fires downstream is part of the savepoint.
      const source = this.head as SourceOperator;
      try {
        source.drain();
      } catch (error) {
        throw annotate(error, source, 'while draining for stop-with-savepoint');
      }
      this.flushWriters();
    }
    await this.performCheckpoint(barrier);
  }

  /**
   * After a stop-with-savepoint barrier nothing runs (records, timers, mail):
   * the job ends once the savepoint completes, and its commits run then. If
   * the savepoint fails, the job resumes (as in Flink).
   */
  private async haltUntilCancelled(checkpointId: number): Promise<void> {
    this.times.idle();
    while (!this.cancelled && !this.abortedStops.has(checkpointId) && !this.failedCommit) {
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    this.times.busy();
    if (!this.cancelled) this.throwIfCommitFailed();
  }

  /** The stop-with-savepoint `checkpointId` failed: a task halted at it (or yet to reach it) carries on. */
  resumeAfterFailedStop(checkpointId: number): void {
    this.abortedStops.add(checkpointId);
    this.notify();
  }

  cancel(): void {
    this.cancelled = true;
    this.notify();
  }

  /** Opens the chain from its tail, so every operator's consumers are ready first. */
  async open(): Promise<void> {
    for (const operator of [...this.parts.operators].reverse()) {
      try {
        await operator.open();
      } catch (error) {
        throw annotate(error, operator, 'while opening');
      }
    }
    this.log.debug('task opened');
  }

  /** Closes every operator of the chain, even after one failed; rejects with the first failure. */
  async close(): Promise<void> {
    let failure: UserFunctionError | undefined;
    for (const operator of this.parts.operators) {
      try {
        await operator.close();
      } catch (error) {
        failure ??= annotate(error, operator, 'while closing');
      }
    }
    if (failure) throw failure;
  }

  private runMails(): void {
    this.throwIfCommitFailed();
    while (this.mails.length > 0) this.mails.shift()!();
  }

  private flushWriters(): void {
    for (const writer of this.parts.writers) writer.flush();
  }

  private async drainPendingWork(): Promise<void> {
    for (const operator of this.parts.operators) {
      const pending = operator.pendingWork();
      if (!pending) continue;
      try {
        await pending;
      } catch (error) {
        throw annotate(error, operator, 'while writing');
      }
    }
    if (this.backgroundWork.length > 0) {
      const work = this.backgroundWork;
      this.backgroundWork = [];
      await Promise.all(work);
    }
    this.throwIfCommitFailed();
  }

  private async waitForDownstream(): Promise<void> {
    for (const writer of this.parts.writers) {
      while (writer.isBackpressured() && !this.cancelled) {
        this.times.backpressured();
        await Promise.race([writer.whenWritable(), this.signal()]);
        this.times.busy();
        this.runMails();
      }
    }
  }

  /** Runs until end of input (or cancellation); then finishes the chain and signals end downstream. */
  async run(): Promise<void> {
    this.times.start();
    try {
      await this.runToEnd();
      this.log.debug(this.finished ? 'task finished' : 'task cancelled');
    } catch (error) {
      this.log.debug({ err: error }, 'task failed');
      throw error;
    } finally {
      this.times.stop();
    }
  }

  private async runToEnd(): Promise<void> {
    if (this.parts.gates.length === 0) await this.runSource();
    else await this.runInputs();
    if (this.cancelled) {
      if (this.failedCommit) this.logCommitFailure(this.failedCommit.error);
      return;
    }
    this.runMails();
    for (const operator of this.parts.operators) {
      try {
        await operator.finish();
      } catch (error) {
        throw annotate(error, operator, 'at end of input');
      }
      this.flushWriters();
    }
    await this.drainPendingWork();
    for (const writer of this.parts.writers) writer.broadcastEvent(END_OF_INPUT);
    this.finished = true;
  }

  private async runSource(): Promise<void> {
    const source = this.head as SourceOperator;
    let lastYield = Date.now();
    while (!this.cancelled) {
      this.runMails();
      await this.takeTriggeredCheckpoint();
      await this.waitForDownstream();
      let status;
      try {
        status = source.reader.pollNext(source, SOURCE_BATCH_SIZE);
      } catch (error) {
        throw annotate(error, source, 'while reading from the source');
      }
      this.flushWriters();
      await this.drainPendingWork();
      if (status === 'end') return;
      if (status === 'nothing') {
        this.times.idle();
        await Promise.race([source.reader.isAvailable(), this.signal()]);
        this.times.busy();
        lastYield = Date.now();
      } else if (Date.now() - lastYield > 10) {
        // Let timers and I/O of every task run; sources would otherwise hog the event loop.
        await yieldToEventLoop();
        lastYield = Date.now();
      }
    }
  }

  private async runInputs(): Promise<void> {
    const gates = this.parts.gates;
    let next = 0;
    while (!this.cancelled) {
      this.runMails();
      let progressed = false;
      for (let tried = 0; tried < gates.length && !progressed; tried++) {
        const input = next;
        next = (next + 1) % gates.length;
        if (gates[input]!.isFinished || (this.parts.alignBarriers && this.alignedInputs.has(input))) continue;
        const item = gates[input]!.poll();
        if (item === undefined) continue;
        progressed = true;
        if (item.kind === 'barrier') await this.onInputBarrier(input, item);
        else {
          this.processGateItem(input, item);
          // An input that ended can no longer deliver the barrier the other one waits with.
          if (item.kind === 'end') await this.completeAlignment();
        }
      }
      if (gates.every((g) => g.isFinished)) return;
      if (progressed) {
        this.flushWriters();
        await this.drainPendingWork();
        await this.waitForDownstream();
      } else {
        this.flushWriters();
        const blocked = (i: number) => this.parts.alignBarriers && this.alignedInputs.has(i);
        if (gates.some((g, i) => !blocked(i) && g.hasData()) || this.mails.length > 0) continue;
        this.times.idle();
        await this.signal();
        this.times.busy();
      }
    }
  }

  /** Barrier n arrived on one input; once every open input has it, the task takes its snapshot. */
  private async onInputBarrier(input: number, barrier: BarrierEvent & { firstArrivalMs: number }): Promise<void> {
    this.alignedInputs.add(input);
    this.alignedBarrier = barrier;
    this.alignmentStartMs = Math.min(this.alignmentStartMs ?? barrier.firstArrivalMs, barrier.firstArrivalMs);
    await this.completeAlignment();
  }

  /** Takes the snapshot once every input still open has delivered the barrier (also when one ends instead). */
  private async completeAlignment(): Promise<void> {
    const barrier = this.alignedBarrier;
    if (barrier === undefined) return;
    const open = this.parts.gates.filter((g, i) => !g.isFinished || this.alignedInputs.has(i)).length;
    if (this.alignedInputs.size < open) return;
    this.alignedInputs.clear();
    this.alignedBarrier = undefined;
    if (this.alignmentStartMs !== undefined) this.lastAlignmentMs = performance.now() - this.alignmentStartMs;
    this.alignmentStartMs = undefined;
    this.flushWriters();
    await this.performCheckpoint(barrier);
  }

  /** Hands a combined watermark that advanced to the head; timers it fires are user code. */
  private advanceWatermark(watermark: number | undefined): void {
    if (watermark === undefined) return;
    this.head.metrics.inputWatermark = watermark;
    try {
      this.head.processWatermark(watermark);
    } catch (error) {
      throw annotate(error, this.head, `while firing timers at watermark ${watermark}`);
    }
  }

  private processGateItem(
    input: number,
    item: Exclude<NonNullable<ReturnType<InputGate['poll']>>, { kind: 'barrier' }>,
  ): void {
    const head = this.head;
    switch (item.kind) {
      case 'records': {
        const { values, timestamps } = item;
        head.metrics.recordsFromTask += values.length;
        let i = 0;
        try {
          if (input === 0) for (; i < values.length; i++) head.processElement(values[i], timestamps[i]!);
          else for (; i < values.length; i++) head.processElement2(values[i], timestamps[i]!);
        } catch (error) {
          throw annotate(error, head, describeRecord(values[i]));
        }
        return;
      }
      case 'watermark':
        this.advanceWatermark(this.inputWatermarks.update(input, item.timestamp));
        return;
      case 'status': {
        const before = this.inputWatermarks.isIdle;
        this.advanceWatermark(this.inputWatermarks.setIdle(input, item.idle));
        if (this.inputWatermarks.isIdle !== before) head.processWatermarkStatus(this.inputWatermarks.isIdle);
        return;
      }
      case 'end':
        this.advanceWatermark(this.inputWatermarks.update(input, MAX_WATERMARK));
        this.inputWatermarks.finish(input);
    }
  }
}
