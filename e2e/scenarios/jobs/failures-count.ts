// The job of the failure scenarios (e2e/scenarios/*-failures): Kafka in ->
// running count per key in keyed state -> Kafka out exactly once. Every input
// record yields `key:n`, so a lost, repeated or reset count shows in the output.
//
//   job.entry: /opt/brook/e2e/scenarios/jobs/failures-count.ts
//   job.args:  [BROKERS, IN_TOPIC, OUT_TOPIC, TRANSACTIONAL_ID_PREFIX, ...labels]
// Labels are ignored: changing them is an upgrade that keeps the job graph.
import {
  kafkaSink,
  kafkaSource,
  valueState,
  type KeyedProcessFunction,
  type StreamEnvironment,
  type ValueState,
} from 'brook';

interface Keyed {
  key: string;
  value: string;
}

export interface CountJobOptions {
  /** Thrown from the count operator's open(): a version of the job that cannot start. */
  failOnOpen?: string;
  /** Written after each count (`key:n@label`) to tell which deployment wrote it (labelled-count.ts). */
  label?: string;
}

/** Builds the running-count pipeline; the broken and labelled variants share it, uids and all. */
export function buildCountJob(env: StreamEnvironment, args: string[], options: CountJobOptions = {}): void {
  const [brokers, input, output, prefix] = args;
  if (!brokers || !input || !output || !prefix) {
    throw new Error('failures-count job: usage: -- BROKERS IN_TOPIC OUT_TOPIC TRANSACTIONAL_ID_PREFIX [LABEL...]');
  }
  const count: KeyedProcessFunction<string, Keyed, Keyed> & { n?: ValueState<number> } = {
    open(ctx) {
      if (options.failOnOpen !== undefined) throw new Error(options.failOnOpen);
      this.n = ctx.getState(valueState<number>('n'));
    },
    processElement(record, _ctx, out) {
      const n = (this.n!.value() ?? 0) + 1;
      this.n!.update(n);
      const label = options.label === undefined ? '' : `@${options.label}`;
      out.collect({ key: record.key, value: `${record.key}:${n}${label}` });
    },
  };
  env
    .fromSource(
      kafkaSource({
        bootstrapServers: brokers,
        topics: [input],
        map: (r): Keyed => ({ key: String(r.key), value: r.value }),
      }),
    )
    .uid('in')
    .keyBy((r) => r.key)
    .process(count)
    .uid('count')
    .sinkTo(
      kafkaSink<Keyed>({
        bootstrapServers: brokers,
        topic: output,
        key: (r) => r.key,
        value: (r) => r.value,
        deliveryGuarantee: 'exactly-once',
        transactionalIdPrefix: prefix,
        // Longer than any scenario: a transaction left open by a killed process ends only because Brook ends it.
        transactionTimeoutMs: 600_000,
      }),
    )
    .uid('out');
}

export default function build(env: StreamEnvironment, args: string[]): void {
  buildCountJob(env, args);
}
