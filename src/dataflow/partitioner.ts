import { hashKey } from '../state/key-groups.js';

/** Key groups used to route keyed records: a key's group never changes, and each downstream subtask owns a contiguous range of groups. */
export const ROUTING_KEY_GROUPS = 128;

/**
 * How an edge distributes records over the downstream subtasks.
 * `forward`: subtask i sends to subtask i (both sides need the same parallelism).
 * `rebalance`: round-robin over every downstream subtask.
 * `keyed`: by the hash of the record's key, so equal keys always meet in the same subtask.
 */
export type Partitioner =
  | { readonly kind: 'forward' }
  | { readonly kind: 'rebalance' }
  | { readonly kind: 'keyed'; readonly key: (record: unknown) => string };

/** The downstream subtask, in `[0, parallelism)`, that owns `key` (as Flink's KeyGroupRangeAssignment computes it). */
export function subtaskForKey(key: string, parallelism: number): number {
  const keyGroup = hashKey(key) % ROUTING_KEY_GROUPS;
  return Math.floor((keyGroup * parallelism) / ROUTING_KEY_GROUPS);
}
