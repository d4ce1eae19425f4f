/** A checkpoint is the engine's own, periodic and subsumable; a savepoint is the user's, never subsumed or discarded by the engine. */
export const CheckpointType = {
  CHECKPOINT: 'checkpoint',
  SAVEPOINT: 'savepoint',
} as const;
export type CheckpointType = (typeof CheckpointType)[keyof typeof CheckpointType];

/** What happens to retained checkpoints when the job ends (Flink's externalized-checkpoint cleanup). */
export const CheckpointRetention = {
  /** Discard on every globally terminal status. */
  NEVER_RETAIN_AFTER_TERMINATION: 'never-retain-after-termination',
  /** Keep when the job is cancelled or fails; discard when it finishes. */
  RETAIN_ON_CANCELLATION: 'retain-on-cancellation',
  /** Keep when the job fails; discard when it finishes or is cancelled. */
  RETAIN_ON_FAILURE: 'retain-on-failure',
} as const;
export type CheckpointRetention = (typeof CheckpointRetention)[keyof typeof CheckpointRetention];

/** How a checkpoint was asked for and how long it is kept. */
export interface CheckpointProperties {
  readonly type: CheckpointType;
  readonly retention: CheckpointRetention;
  /** True for manual triggers and savepoints: they skip the minimum pause. */
  readonly forced: boolean;
}
