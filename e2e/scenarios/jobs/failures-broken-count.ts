// A broken new version of failures-count.ts for the broken-upgrade scenario:
// the same graph (same uids, so it accepts the old savepoint), but its count
// operator throws as its tasks start, so the job fails once the runtime's
// restart strategy gives up.
import type { StreamEnvironment } from 'brook';
import { buildCountJob } from '../../../runtime/connectors/kafka/fixtures/keyed-count-job.ts';

export const brokenVersionMessage = 'failures-broken-count: this version cannot start (broken on purpose)';

export default function build(env: StreamEnvironment, args: string[]): void {
  buildCountJob(env, args, { failOnOpen: brokenVersionMessage });
}
