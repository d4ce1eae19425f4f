import type { RestoreState } from '../protocol/task-protocol.js';

/**
 * The epoch a dataflow task moves to on `RestoreState`: the restore round the coordinator stamped on it (the same for
 * every task of the restore), or, for a message without one, the task's next epoch.
 */
export function restoreRoundOf(message: RestoreState, epoch: number): number {
  const round = message.restoreRound;
  return typeof round === 'number' && Number.isSafeInteger(round) && round > 0 ? round : epoch + 1;
}
