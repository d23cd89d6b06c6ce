// Where the subtasks of a job run: a TaskManager has one slot and runs one
// parallel instance of every operator (DESIGN.md), so subtask i of every
// vertex runs in slot i (modulo the slots, for an operator whose parallelism
// was set above the number of TaskManagers). Pure, so that the JobManager and
// every TaskManager reach the same answer from the same graph.
import type { JobEdge, JobGraph, JobVertex } from '../graph/job-graph.ts';
import { edgeConnects, networkEdges } from '../execution/task-builder.ts';

export function slotOf(subtask: number, slots: number): number {
  return subtask % slots;
}

/** The subtasks of `vertex` that run in `slot`. */
export function subtasksInSlot(vertex: JobVertex, slot: number, slots: number): number[] {
  const subtasks: number[] = [];
  for (let s = slot; s < vertex.parallelism; s += slots) subtasks.push(s);
  return subtasks;
}

/** A channel's id on the wire: unique per attempt, edge and producer/consumer pair. */
export function channelId(attempt: number, edgeIndex: number, producer: number, consumer: number): string {
  return `${attempt}/${edgeIndex}/${producer}/${consumer}`;
}

export interface ChannelPlacement {
  edge: JobEdge;
  edgeIndex: number;
  producer: number;
  consumer: number;
  producerSlot: number;
  consumerSlot: number;
}

/** Every channel of the graph's network edges with the slots at its two ends. */
export function channelPlacements(graph: JobGraph, slots: number): ChannelPlacement[] {
  const placements: ChannelPlacement[] = [];
  for (const edge of networkEdges(graph)) {
    const edgeIndex = graph.edges.indexOf(edge);
    for (let producer = 0; producer < edge.source.parallelism; producer++) {
      for (let consumer = 0; consumer < edge.target.parallelism; consumer++) {
        if (!edgeConnects(edge, producer, consumer)) continue;
        placements.push({
          edge,
          edgeIndex,
          producer,
          consumer,
          producerSlot: slotOf(producer, slots),
          consumerSlot: slotOf(consumer, slots),
        });
      }
    }
  }
  return placements;
}
