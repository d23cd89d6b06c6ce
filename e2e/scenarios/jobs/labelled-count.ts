// The end-to-end scenarios' job: Kafka in -> running count per key in keyed
// state -> Kafka out exactly once. Every input record yields `key:n@label`, so a
// lost, repeated or reset count shows in the output, and the label (a job
// argument) says which deployment of the job wrote it.
//
//   brook jobmanager --job e2e/scenarios/jobs/labelled-count.ts -- BROKERS IN_TOPIC OUT_TOPIC TRANSACTIONAL_ID_PREFIX LABEL
import { kafkaSink, kafkaSource, valueState, type KeyedProcessFunction, type StreamEnvironment } from 'brook';
import type { ValueState } from 'brook';

interface Keyed {
  key: string;
  value: string;
}

export default function build(env: StreamEnvironment, args: string[]): void {
  const [brokers, input, output, prefix, label] = args;
  if (!brokers || !input || !output || !prefix || !label) {
    throw new Error('usage: -- BROKERS IN_TOPIC OUT_TOPIC TRANSACTIONAL_ID_PREFIX LABEL');
  }
  const count: KeyedProcessFunction<string, Keyed, Keyed> & { n?: ValueState<number> } = {
    open(ctx) {
      this.n = ctx.getState(valueState<number>('n'));
    },
    processElement(record, _ctx, out) {
      const n = (this.n!.value() ?? 0) + 1;
      this.n!.update(n);
      out.collect({ key: record.key, value: `${record.key}:${n}@${label}` });
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
        // The prefix stays across deployments: a restored job re-commits and aborts its predecessor's transactions.
        transactionalIdPrefix: prefix,
      }),
    )
    .uid('out');
}
