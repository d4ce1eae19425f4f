/** What a job can be started from besides its own checkpoints. */
export const RestorePointKind = {
  /** A self-contained savepoint directory written by `TriggerSavepoint` with a target directory. */
  SAVEPOINT: 'savepoint',
  /** A retained (externalized) checkpoint left in a checkpoint storage: `<base>/<jobId>/chk-<id>/`. */
  RETAINED_CHECKPOINT: 'retained-checkpoint',
} as const;
export type RestorePointKind = (typeof RestorePointKind)[keyof typeof RestorePointKind];
