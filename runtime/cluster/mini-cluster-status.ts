// Feeds a JobStatusTracker from a job running on the local mini-cluster: the
// job graph as the REST API shows it, and the execute() hooks that report
// attempts, restarts and checkpoints.
import type { ExecuteOptions } from '../api/environment.ts';
import type { JobGraph } from '../graph/job-graph.ts';
import type { JobStatusTracker, TrackedJob } from './job-status-tracker.ts';

/** Vertices (chains, identified by their head operator's uid) and the network edges between them. */
export function describeJobGraph(graph: JobGraph): Omit<TrackedJob, 'id' | 'name'> {
  const vertexId = new Map(graph.vertices.map((v) => [v, v.nodes[0]!.uid]));
  const edges = new Map<string, { source: string; target: string; partitioning: string }>();
  for (const edge of graph.edges) {
    const source = graph.vertexOf.get(edge.source)!;
    const target = graph.vertexOf.get(edge.target)!;
    if (source === target) continue;
    const described = {
      source: vertexId.get(source)!,
      target: vertexId.get(target)!,
      partitioning: edge.partitioning.kind,
    };
    edges.set(`${described.source}>${described.target}>${described.partitioning}`, described);
  }
  return {
    vertices: graph.vertices.map((v) => ({
      id: vertexId.get(v)!,
      name: v.name,
      parallelism: v.parallelism,
      operatorUids: v.nodes.map((n) => n.uid),
    })),
    edges: [...edges.values()],
    maxParallelism: graph.maxParallelism,
  };
}

/** The execute() options that keep `tracker` up to date while the job runs (its end is the caller's to report). */
export function statusHooks(
  tracker: JobStatusTracker,
): Required<Pick<ExecuteOptions, 'onAttemptStart' | 'onRestart' | 'checkpointObserver'>> {
  return {
    onAttemptStart: (attempt, restoredFrom) => tracker.attemptStarted(attempt, restoredFrom),
    onRestart: (failure) => tracker.restarting(failure),
    checkpointObserver: {
      started: ({ checkpointId }) => {
        // Savepoint directories carry no id; a savepoint shows up once complete.
        if (checkpointId !== undefined) tracker.checkpointStarted({ id: checkpointId, isSavepoint: false });
      },
      completed: (event) =>
        tracker.checkpointCompleted({
          id: event.checkpointId,
          isSavepoint: event.isSavepoint,
          triggerTimestamp: event.triggerTimestamp,
          stateSize: event.stateSize,
          externalPath: event.location,
        }),
      failed: ({ checkpointId, message }) => {
        if (checkpointId !== undefined) tracker.checkpointFailed({ id: checkpointId, isSavepoint: false, message });
      },
      discarded: ({ location }) => tracker.checkpointsDiscarded(location),
    },
  };
}
