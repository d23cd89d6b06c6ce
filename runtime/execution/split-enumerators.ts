// Starting a source's split enumerator for a run, the same on the mini-cluster
// and in a JobManager: only where its splits go (readers in this process, or
// TaskManagers) differs, and that is the context's business.
import type { RestorePlan } from '../checkpoint/restore-plan.ts';
import {
  staticSplitEnumerator,
  type SourceSplit,
  type SplitEnumerator,
  type SplitEnumeratorContext,
} from '../connectors/source.ts';
import type { JobNode } from '../graph/job-graph.ts';

/**
 * Creates and starts the enumerator of source node `node`, then registers its
 * readers. Restored splits carry their positions and are dealt to the new
 * readers, whatever their number; a source the checkpoint does not know
 * (added since) starts from its beginning.
 */
export async function startSplitEnumerator(
  node: JobNode,
  context: SplitEnumeratorContext<SourceSplit>,
  restore: RestorePlan | undefined,
): Promise<SplitEnumerator<SourceSplit> | undefined> {
  if (node.transformation.kind !== 'source') return undefined;
  const restored = restore?.splitsOf(node.uid) as SourceSplit[] | undefined;
  const { source } = node.transformation;
  const enumerator = !restored
    ? source.createEnumerator(context)
    : source.restoreEnumerator
      ? source.restoreEnumerator(context, restored)
      : staticSplitEnumerator(context, restored);
  try {
    await enumerator.start();
  } catch (error) {
    // Not yet among the enumerators the run closes: close it here, or its connections outlive the job.
    await Promise.resolve(enumerator.close?.()).catch(() => {});
    throw error;
  }
  for (let subtask = 0; subtask < context.parallelism; subtask++) enumerator.addReader(subtask);
  return enumerator;
}
