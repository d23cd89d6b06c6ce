// The output of one operator inside a task: calls into the operators chained
// after it and writes to the network edges leaving it, routing side outputs
// to the consumers of their tag.
import type { OutputTag } from '../api/output-tag.ts';
import type { CountedRoute, OperatorMetrics } from '../metrics/task-metrics.ts';
import type { StreamOperator } from '../operators/operator.ts';
import { ACTIVE, IDLE, watermark } from './elements.ts';
import type { Output } from './output.ts';
import type { RecordWriter } from './record-writer.ts';
import { annotate, describeRecord } from './user-function-error.ts';

export interface Consumers {
  operators: StreamOperator[];
  writers: RecordWriter[];
}

/** Side-output consumers with the count of records delivered to them. */
interface Route extends Consumers {
  count: number;
}

/**
 * One increment per record counts both the emitter's records out and the
 * chained consumers' records in: OperatorMetrics adds the routes up when
 * metrics are read. The main route's count is a field of the output itself,
 * next to its consumers (the hot path touches one object).
 */
export class ChainOutput implements Output {
  private readonly operators: StreamOperator[];
  private readonly writers: RecordWriter[];
  private mainCount = 0;
  private readonly side: Map<string, Route>;

  /** `metrics`: the emitting operator's; it gets this output's routes, and the watermark it emits. */
  constructor(
    main: Consumers,
    side: Map<string, Consumers>,
    private readonly allOperators: StreamOperator[],
    private readonly allWriters: RecordWriter[],
    private readonly metrics: OperatorMetrics,
  ) {
    this.operators = main.operators;
    this.writers = main.writers;
    const register = (route: CountedRoute, consumers: Consumers) => {
      metrics.emits.push(route);
      for (const operator of consumers.operators) operator.metrics.fedBy.push(route);
    };
    const mainCount = () => this.mainCount;
    register(
      {
        get count() {
          return mainCount();
        },
      },
      main,
    );
    this.side = new Map(
      [...side].map(([id, consumers]) => {
        const route: Route = { operators: consumers.operators, writers: consumers.writers, count: 0 };
        register(route, consumers);
        return [id, route];
      }),
    );
  }

  collect(value: unknown, timestamp: number): void {
    this.mainCount++;
    deliver(this.operators, this.writers, value, timestamp);
  }

  collectSide(tag: OutputTag<unknown>, value: unknown, timestamp: number): void {
    const route = this.side.get(tag.id);
    if (!route) return;
    route.count++;
    deliver(route.operators, route.writers, value, timestamp);
  }

  emitWatermark(timestamp: number): void {
    this.metrics.outputWatermark = timestamp;
    for (const operator of this.allOperators) {
      operator.metrics.inputWatermark = timestamp;
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
