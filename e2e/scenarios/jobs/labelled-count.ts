// The upgrade scenarios' job: the Kafka running count of
// runtime/connectors/kafka/fixtures/keyed-count-job.ts writing `key:n@label`,
// so a lost, repeated or reset count shows in the output, and the label (a job
// argument) says which deployment of the job wrote it.
//
//   brook jobmanager --job e2e/scenarios/jobs/labelled-count.ts -- BROKERS IN_TOPIC OUT_TOPIC TRANSACTIONAL_ID_PREFIX LABEL
import type { StreamEnvironment } from 'brook';
import { buildCountJob } from '../../../runtime/connectors/kafka/fixtures/keyed-count-job.ts';

export default function build(env: StreamEnvironment, args: string[]): void {
  const label = args[4];
  if (!label) throw new Error('usage: -- BROKERS IN_TOPIC OUT_TOPIC TRANSACTIONAL_ID_PREFIX LABEL');
  buildCountJob(env, args, { label });
}
