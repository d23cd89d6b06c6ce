// The job of the failure scenarios (e2e/scenarios/*-failures): the Kafka
// running count of runtime/connectors/kafka/fixtures/keyed-count-job.ts, every
// input record yielding `key:n`.
//
//   job.entry: /opt/brook/e2e/scenarios/jobs/failures-count.ts
//   job.args:  [BROKERS, IN_TOPIC, OUT_TOPIC, TRANSACTIONAL_ID_PREFIX, ...labels]
// Labels are ignored: changing them is an upgrade that keeps the job graph.
import type { StreamEnvironment } from 'brook';
import { buildCountJob } from '../../../runtime/connectors/kafka/fixtures/keyed-count-job.ts';

export default function build(env: StreamEnvironment, args: string[]): void {
  buildCountJob(env, args);
}
