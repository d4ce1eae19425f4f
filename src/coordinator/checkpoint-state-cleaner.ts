import type { CheckpointId, JobId } from '../core/ids.js';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import type { CompletedCheckpointDiscarder } from '../checkpoint/completed-checkpoint-store.js';

/**
 * The file-level primitives behind the coordinator's discards: the shared-state registry of completed checkpoints and
 * the deletions of state nothing retains. The coordinator decides what may be deleted (one rule for every way a
 * checkpoint ends without completing, see DESIGN.md); implementations carry it out off the coordinator's mailbox and
 * never block it.
 */
export interface CheckpointStateCleaner extends CompletedCheckpointDiscarder {
  /**
   * Registers a completed checkpoint's shared state and returns it with every placeholder resolved.
   * @throws Error naming the key when a placeholder refers to nothing registered; then nothing was registered.
   */
  registerCompleted(checkpoint: CompletedCheckpoint): CompletedCheckpoint;
  /** Registers again the shared state of checkpoints recovered from a store (after a coordinator restart). */
  registerRecovered(checkpoints: readonly CompletedCheckpoint[]): void;
  /**
   * Takes back the registrations of a checkpoint that was registered but did not complete (its finalization failed),
   * deleting nothing: the coordinator deletes what became unreferenced once no checkpoint in flight can carry it.
   */
  releaseRegistrations(checkpoint: CompletedCheckpoint): void;
  /** Whether a registered (retained) checkpoint references the shared file at `path`. */
  isSharedFileReferenced(path: string): boolean;
  /** Deletes one file (a path relative to the storage base), with retries; deleting a missing file succeeds. */
  discardFile(path: string): void;
  /** Removes `<jobId>/chk-<id>/` with whatever is in it. */
  discardCheckpointDirectory(jobId: JobId, checkpointId: CheckpointId): void;
  /**
   * Releases a completed checkpoint the store let go of. Crash-ordered: what makes it a retained checkpoint (its
   * metadata) goes first, its files only once that is gone, so a crash in between leaves orphans, never metadata
   * whose files are half deleted.
   */
  discard(checkpoint: CompletedCheckpoint, cause: DiscardCauseOfStore): Promise<void>;
  /** Deletions queued or in flight. */
  pendingDiscards(): number;
}

/** Why the store releases a completed checkpoint. */
export type DiscardCauseOfStore = Parameters<CompletedCheckpointDiscarder['discard']>[1];

/** A cleaner for state that lives only in memory: nothing to register, nothing to delete. */
export const inMemoryStateCleaner: CheckpointStateCleaner = {
  registerCompleted: (checkpoint) => checkpoint,
  registerRecovered: () => undefined,
  releaseRegistrations: () => undefined,
  isSharedFileReferenced: () => false,
  discardFile: () => undefined,
  discardCheckpointDirectory: () => undefined,
  discard: async () => undefined,
  pendingDiscards: () => 0,
};
