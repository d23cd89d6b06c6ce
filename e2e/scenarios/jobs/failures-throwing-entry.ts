// A broken new version for the broken-upgrade scenario whose entry throws as it
// is loaded to build the pipeline: the JobManager exits at start and its pod
// restarts in a loop, so no job ever reports a state.
import type { StreamEnvironment } from 'brook';

export const throwingEntryMessage = 'failures-throwing-entry: the pipeline cannot be built (broken on purpose)';

export default function build(_env: StreamEnvironment, _args: string[]): void {
  throw new Error(throwingEntryMessage);
}
