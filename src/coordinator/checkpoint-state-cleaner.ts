import type { CheckpointId, JobId } from '../core/ids.js';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import type { CompletedCheckpointDiscarder, DiscardCause } from '../checkpoint/completed-checkpoint-store.js';
import type { TaskStateSnapshot } from '../state/state-handles.js';

/**
 * Everything the coordinator does to state it does not keep: registering the shared state of completed
 * checkpoints, and discarding the state of aborted checkpoints, late acknowledgements and subsumed
 * checkpoints. Implementations start deletions and return; they never block the coordinator's mailbox.
 */
export interface CheckpointStateCleaner extends CompletedCheckpointDiscarder {
  /**
   * Registers a completed checkpoint's shared state and returns it with every placeholder resolved.
   * @throws Error naming the key when a placeholder refers to nothing registered.
   */
  registerCompleted(checkpoint: CompletedCheckpoint): CompletedCheckpoint;
  /** Registers again the shared state of checkpoints recovered from a store (after a coordinator restart). */
  registerRecovered(checkpoints: readonly CompletedCheckpoint[]): void;
  /** Deletes the private files (exclusive streams, private and meta files) of task states that belong to no completed checkpoint. */
  discardPrivateState(states: readonly TaskStateSnapshot[]): void;
  /**
   * Deletes the shared files of task states that belong to no completed checkpoint, keeping every file a registered
   * (completed) checkpoint references. The coordinator calls it only once no checkpoint that might still carry the
   * same files is in flight.
   */
  discardUnreferencedSharedState(states: readonly TaskStateSnapshot[]): void;
  /** Removes the directory of an aborted checkpoint (`<jobId>/chk-<id>/`) with whatever is left in it. */
  discardAbortedCheckpoint(jobId: JobId, checkpointId: CheckpointId): void;
  /** Releases a completed checkpoint the store let go of. */
  discard(checkpoint: CompletedCheckpoint, cause: DiscardCause): Promise<void>;
  /** Deletions queued or in flight. */
  pendingDiscards(): number;
}

/** A cleaner for state that lives only in memory: nothing to register, nothing to delete. */
export const inMemoryStateCleaner: CheckpointStateCleaner = {
  registerCompleted: (checkpoint) => checkpoint,
  registerRecovered: () => undefined,
  discardPrivateState: () => undefined,
  discardUnreferencedSharedState: () => undefined,
  discardAbortedCheckpoint: () => undefined,
  discard: async () => undefined,
  pendingDiscards: () => 0,
};
