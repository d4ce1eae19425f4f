import { OperatorKindNotFoundError } from '../blob/operator-kind-not-found-error.js';
import { loadOperatorKind } from '../blob/operator-bundle.js';
import type { BlobStore } from '../blob/blob-store.js';
import type { TaskJobDefinition } from './job-definition.js';
import type { OperatorKindFactory } from './operator-kind.js';
import { UnknownOperatorKindError } from './unknown-operator-kind-error.js';

/**
 * The operator kind of every task of a job: registered in this job manager, or else exported by the job's operator
 * bundle (fetched from the blob store's HA copy when this job manager does not have it yet).
 * @throws UnknownOperatorKindError when a kind is in neither; Error when the job has a bundle but no blob store was
 *   given; what the blob store throws when the bundle cannot be fetched or imported.
 */
export async function resolveOperatorKinds(
  definition: TaskJobDefinition,
  registered: ReadonlyMap<string, OperatorKindFactory>,
  blobs: BlobStore | null,
): Promise<ReadonlyMap<string, OperatorKindFactory>> {
  const kinds = new Map<string, OperatorKindFactory>();
  const bundle = definition.operatorBundle ?? null;
  for (const task of definition.tasks) {
    if (kinds.has(task.operator)) continue;
    const local = registered.get(task.operator);
    if (local !== undefined) {
      kinds.set(task.operator, local);
      continue;
    }
    const unknown = (): UnknownOperatorKindError => new UnknownOperatorKindError(definition.jobId, task.taskId, task.operator, [...registered.keys()].sort(), bundle);
    if (bundle === null) throw unknown();
    if (blobs === null) {
      throw new Error(`job ${definition.jobId} loads operator kind '${task.operator}' from operator bundle ${bundle}, but this job manager has no blob store: pass JobManagerOptions.blobs (sharing the other job managers' HA copy)`);
    }
    try {
      kinds.set(task.operator, await loadOperatorKind<OperatorKindFactory>(blobs, definition.jobId, bundle, task.operator));
    } catch (error) {
      if (error instanceof OperatorKindNotFoundError) throw unknown();
      throw error;
    }
  }
  return kinds;
}
