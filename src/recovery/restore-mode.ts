/** Who owns a savepoint or retained checkpoint once a job was started from it (Flink's restore modes). */
export const RestoreMode = {
  /** The job takes ownership: the restored checkpoint becomes one of its own, subsumed and deleted like any other. */
  CLAIM: 'claim',
  /**
   * The default: the job never deletes anything of it, and its first new checkpoint is full, so nothing the job writes
   * depends on files it does not own. The restore point stays a restore point (as a savepoint) until a checkpoint completes.
   */
  NO_CLAIM: 'no-claim',
} as const;
export type RestoreMode = (typeof RestoreMode)[keyof typeof RestoreMode];
