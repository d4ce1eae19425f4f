import { DEFAULT_MAX_PARALLELISM, subtaskIndexForKey } from '../state/key-groups.js';

/**
 * How an edge distributes records over the downstream subtasks.
 * `forward`: subtask i sends to subtask i (both sides need the same parallelism).
 * `rebalance`: round-robin over every downstream subtask.
 * `keyed`: by the key group of the record's key, so equal keys always meet in the same subtask.
 */
export type Partitioner =
  | { readonly kind: 'forward' }
  | { readonly kind: 'rebalance' }
  | { readonly kind: 'keyed'; readonly key: (record: unknown) => string };

/**
 * The downstream subtask, in `[0, parallelism)`, that owns `key`: its key group among the job's
 * {@link DEFAULT_MAX_PARALLELISM} key groups, assigned to subtasks as keyed state backends assign them.
 */
export function subtaskForKey(key: string, parallelism: number): number {
  return subtaskIndexForKey(key, DEFAULT_MAX_PARALLELISM, parallelism);
}
