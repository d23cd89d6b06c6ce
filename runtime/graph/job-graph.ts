// From transformations to the job graph: physical nodes with their resolved
// parallelism and uid, edges with their partitioning, and operator chains
// (nodes joined by forward edges of equal parallelism run in one task).
import { BrookError } from '../errors.ts';
import { checkParallelism } from '../state/key-groups.ts';
import type { OutputTag } from '../api/output-tag.ts';
import { type Partitioning, type PhysicalTransformation, type Transformation } from './transformation.ts';

export class InvalidJobGraphError extends BrookError {
  constructor(message: string) {
    super('BROOK_INVALID_JOB', message);
  }
}

export interface JobNode {
  id: number;
  name: string;
  uid: string;
  parallelism: number;
  transformation: PhysicalTransformation;
}

export interface JobEdge {
  source: JobNode;
  target: JobNode;
  /** 1 or 2: which input of a two-input operator. */
  inputIndex: 1 | 2;
  partitioning: Partitioning;
  sideOutputTag: OutputTag<unknown> | undefined;
}

/** A chain of nodes that runs in one task; `nodes[0]` is the head that receives the network input. */
export interface JobVertex {
  id: number;
  name: string;
  parallelism: number;
  nodes: JobNode[];
}

export interface JobGraph {
  jobName: string;
  maxParallelism: number;
  nodes: JobNode[];
  edges: JobEdge[];
  vertices: JobVertex[];
  vertexOf: Map<JobNode, JobVertex>;
}

interface Upstream {
  node: PhysicalTransformation;
  partitioning: Partitioning | undefined;
  tag: OutputTag<unknown> | undefined;
}

/** The physical producers behind an input, looking through partitioning, unions and side outputs. */
function resolveInput(t: Transformation, partitioning?: Partitioning, tag?: OutputTag<unknown>): Upstream[] {
  switch (t.kind) {
    case 'partition':
      return resolveInput(t.input, t.partitioning, tag);
    case 'union':
      return t.inputs.flatMap((input) => resolveInput(input, partitioning, tag));
    case 'side-output':
      return resolveInput(t.input, partitioning, t.tag);
    default:
      return [{ node: t, partitioning, tag }];
  }
}

function physicalInputs(t: PhysicalTransformation): [Transformation, 1 | 2][] {
  if (t.kind === 'one-input') return [[t.input, 1]];
  if (t.kind === 'two-input')
    return [
      [t.input1, 1],
      [t.input2, 2],
    ];
  return [];
}

export function buildJobGraph(
  jobName: string,
  sinks: Transformation[],
  options: { defaultParallelism: number; maxParallelism: number },
): JobGraph {
  // Collect the physical transformations reachable from the sinks, in creation order.
  const reachable = new Map<number, PhysicalTransformation>();
  const visit = (t: Transformation): void => {
    for (const { node } of resolveInput(t)) {
      if (reachable.has(node.id)) continue;
      reachable.set(node.id, node);
      for (const [input] of physicalInputs(node)) visit(input);
    }
  };
  sinks.forEach(visit);
  if (reachable.size === 0)
    throw new InvalidJobGraphError(`job '${jobName}' has no operators: add a source and a sink`);
  const ordered = [...reachable.values()].sort((a, b) => a.id - b.id);

  const nodes = new Map<number, JobNode>();
  const uids = new Map<string, string>();
  for (const t of ordered) {
    const parallelism = t.parallelism ?? options.defaultParallelism;
    try {
      checkParallelism(options.maxParallelism, parallelism);
    } catch (error) {
      throw new InvalidJobGraphError(`operator '${t.name}': ${(error as Error).message}`);
    }
    const uid = t.uid ?? `${t.name}-${t.id}`;
    const clash = uids.get(uid);
    if (clash) throw new InvalidJobGraphError(`operators '${clash}' and '${t.name}' have the same uid '${uid}'`);
    uids.set(uid, t.name);
    nodes.set(t.id, { id: t.id, name: t.name, uid, parallelism, transformation: t });
  }

  const edges: JobEdge[] = [];
  for (const t of ordered) {
    const target = nodes.get(t.id)!;
    for (const [input, inputIndex] of physicalInputs(t)) {
      for (const upstream of resolveInput(input)) {
        const source = nodes.get(upstream.node.id)!;
        let partitioning = upstream.partitioning;
        if (!partitioning)
          partitioning = source.parallelism === target.parallelism ? { kind: 'forward' } : { kind: 'rebalance' };
        if (partitioning.kind === 'forward' && source.parallelism !== target.parallelism) {
          throw new InvalidJobGraphError(
            `forward edge from '${source.name}' (parallelism ${source.parallelism}) to '${target.name}' (parallelism ${target.parallelism}) needs equal parallelism`,
          );
        }
        edges.push({ source, target, inputIndex, partitioning, sideOutputTag: upstream.tag });
      }
      const keyed = (t.kind === 'one-input' || t.kind === 'two-input') && t.keyed;
      const inputEdges = edges.filter((e) => e.target === target && e.inputIndex === inputIndex);
      // Keyed operators need their keys' groups: hashed input, a broadcast side, or everything in one instance.
      const keyedInput = (e: JobEdge) =>
        e.partitioning.kind === 'hash' ||
        e.partitioning.kind === 'broadcast' ||
        (e.partitioning.kind === 'global' && target.parallelism === 1);
      if (keyed && !inputEdges.every(keyedInput)) {
        throw new InvalidJobGraphError(`keyed operator '${t.name}' must read a keyed stream (use keyBy)`);
      }
    }
  }

  // Chain a node into its producer when nothing but a forward edge of equal parallelism joins them.
  const vertexOf = new Map<JobNode, JobVertex>();
  const vertices: JobVertex[] = [];
  for (const node of [...nodes.values()]) {
    const inputs = edges.filter((e) => e.target === node);
    const chainable =
      inputs.length === 1 &&
      node.transformation.kind === 'one-input' &&
      inputs[0]!.partitioning.kind === 'forward' &&
      inputs[0]!.source.parallelism === node.parallelism;
    if (chainable) {
      const vertex = vertexOf.get(inputs[0]!.source)!;
      vertex.nodes.push(node);
      vertex.name = `${vertex.name} -> ${node.name}`;
      vertexOf.set(node, vertex);
    } else {
      const vertex: JobVertex = { id: vertices.length, name: node.name, parallelism: node.parallelism, nodes: [node] };
      vertices.push(vertex);
      vertexOf.set(node, vertex);
    }
  }
  return { jobName, maxParallelism: options.maxParallelism, nodes: [...nodes.values()], edges, vertices, vertexOf };
}
