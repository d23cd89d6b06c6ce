// The output of one operator inside a task: calls into the operators chained
// after it and writes to the network edges leaving it, routing side outputs
// to the consumers of their tag.
import type { OutputTag } from '../api/output-tag.ts';
import type { StreamOperator } from '../operators/operator.ts';
import { ACTIVE, IDLE, watermark } from './elements.ts';
import type { Output } from './output.ts';
import type { RecordWriter } from './record-writer.ts';
import { annotate, describeRecord } from './user-function-error.ts';

export interface Consumers {
  operators: StreamOperator[];
  writers: RecordWriter[];
}

export class ChainOutput implements Output {
  private readonly operators: StreamOperator[];
  private readonly writers: RecordWriter[];

  constructor(
    main: Consumers,
    private readonly side: Map<string, Consumers>,
    private readonly allOperators: StreamOperator[],
    private readonly allWriters: RecordWriter[],
  ) {
    this.operators = main.operators;
    this.writers = main.writers;
  }

  collect(value: unknown, timestamp: number): void {
    deliver(this.operators, this.writers, value, timestamp);
  }

  collectSide(tag: OutputTag<unknown>, value: unknown, timestamp: number): void {
    const consumers = this.side.get(tag.id);
    if (consumers) deliver(consumers.operators, consumers.writers, value, timestamp);
  }

  emitWatermark(timestamp: number): void {
    for (const operator of this.allOperators) {
      try {
        operator.processWatermark(timestamp);
      } catch (error) {
        throw annotate(error, operator, `while firing timers at watermark ${timestamp}`);
      }
    }
    if (this.allWriters.length > 0) {
      const event = watermark(timestamp);
      for (const writer of this.allWriters) writer.broadcastEvent(event);
    }
  }

  emitWatermarkStatus(idle: boolean): void {
    for (const operator of this.allOperators) operator.processWatermarkStatus(idle);
    for (const writer of this.allWriters) writer.broadcastEvent(idle ? IDLE : ACTIVE);
  }
}

function deliver(operators: StreamOperator[], writers: RecordWriter[], value: unknown, timestamp: number): void {
  for (let i = 0; i < operators.length; i++) {
    const operator = operators[i]!;
    try {
      operator.processElement(value, timestamp);
    } catch (error) {
      throw annotate(error, operator, describeRecord(value));
    }
  }
  for (let i = 0; i < writers.length; i++) writers[i]!.emit(value, timestamp);
}
