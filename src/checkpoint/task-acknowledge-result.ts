/** What became of one acknowledgement. Acknowledging never throws: the caller switches on this. */
export const TaskAcknowledgeResult = {
  /** First acknowledgement of this task for this checkpoint: its state is kept. */
  SUCCESS: 'success',
  /** The task already acknowledged this checkpoint: nothing changes. */
  DUPLICATE: 'duplicate',
  /** The sender is not a current attempt of a task of this checkpoint: its state is discarded. */
  UNKNOWN: 'unknown',
  /** The checkpoint was already aborted, subsumed or completed: its state is discarded. */
  DISCARDED: 'discarded',
} as const;
export type TaskAcknowledgeResult = (typeof TaskAcknowledgeResult)[keyof typeof TaskAcknowledgeResult];
