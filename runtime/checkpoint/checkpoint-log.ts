// Checkpoints in the log, as Flink's CheckpointCoordinator reports them: one
// line per completed or failed checkpoint (info, warn), triggers at debug.
import { logger, type Logger } from '../logging/logger.ts';
import type { CheckpointListener } from './coordinator.ts';

/** A coordinator listener that logs under module `checkpoint` in `context` (the job's). */
export function checkpointLogListener(context?: Logger): CheckpointListener {
  const log = logger('checkpoint', context);
  return {
    started: (checkpointId, kind) => log.debug({ checkpointId, kind }, `${kind} ${checkpointId} triggered`),
    completed: (checkpointId, kind, details) =>
      log.info(
        {
          checkpointId,
          kind,
          location: details.location,
          stateSize: details.stateSize,
          durationMs: Date.now() - details.triggerTimestamp,
        },
        `${kind} ${checkpointId} completed (${details.stateSize} bytes) at ${details.location}`,
      ),
    failed: (checkpointId, kind, reason) =>
      log.warn({ checkpointId, kind, reason }, `${kind} ${checkpointId} failed: ${reason}`),
  };
}
