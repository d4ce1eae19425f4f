import type { JobStatus } from '../core/job-status.js';
import type { CompletedCheckpoint } from './completed-checkpoint.js';

/**
 * Why a store releases a completed checkpoint: subsumed by newer ones, the job ended, or (only after a
 * {@link CheckpointAddOutcomeUnknownError}) an add that the store found out did not happen after all.
 */
export type DiscardCause = 'subsumed' | 'shutdown' | 'not-added';

/**
 * Thrown by a store when an add failed in a way that leaves open whether it took effect (a connection broken while
 * committing). Unlike any other rejection, the checkpoint's state then stays the store's: it finds out at its next
 * call, keeps the checkpoint if it was added, and discards it (cause `not-added`) if it was not. The caller must not
 * discard it.
 */
export class CheckpointAddOutcomeUnknownError extends Error {
  override readonly name = 'CheckpointAddOutcomeUnknownError';
  constructor(readonly checkpointId: number, override readonly cause: unknown) {
    super(`whether checkpoint ${checkpointId} was added is unknown (${cause instanceof Error ? cause.message : String(cause)}); the store settles it at its next call`);
  }
}

/**
 * Releases what a completed checkpoint holds once the store lets go of it: unregisters its shared state,
 * deletes its private files and metadata. Implementations must not block: start the work and return.
 */
export interface CompletedCheckpointDiscarder {
  discard(checkpoint: CompletedCheckpoint, cause: DiscardCause): Promise<void>;
}

/** A discarder that keeps everything: for checkpoints that live only in memory. */
export const keepEverything: CompletedCheckpointDiscarder = { discard: async () => undefined };

/**
 * The bounded set of completed checkpoints a job can be restored from. Keeps at most `maxRetained`
 * checkpoints (the newest), subsuming and discarding the oldest first. Savepoints are kept beside them:
 * never subsumed, never counted toward `maxRetained`, never discarded by the store.
 */
export interface CompletedCheckpointStore {
  /** How many checkpoints (not savepoints) are retained at most; at least 1. */
  readonly maxRetained: number;
  /**
   * Adds a checkpoint and subsumes the oldest beyond `maxRetained`; resolves to the subsumed ones.
   * A discard that fails does not fail the add. A failed add rejects and leaves the previous checkpoints intact; the
   * new checkpoint's state is the caller's to discard (a checkpoint still in flight may carry some of its files),
   * except after a {@link CheckpointAddOutcomeUnknownError}, when it stays the store's.
   */
  addCheckpointAndSubsumeOldestOne(checkpoint: CompletedCheckpoint): Promise<readonly CompletedCheckpoint[]>;
  /** The checkpoint or savepoint with the highest id, or null when there is none. */
  getLatestCheckpoint(): CompletedCheckpoint | null;
  /** Every retained checkpoint and savepoint, ascending by id. */
  getAllCheckpoints(): readonly CompletedCheckpoint[];
  /** How many checkpoints (savepoints excluded) are retained. */
  getNumberOfRetainedCheckpoints(): number;
  /**
   * Ends the store. A globally terminal status discards the retained checkpoints unless their retention
   * policy keeps them; SUSPENDED keeps everything for a later recovery.
   */
  shutdown(jobStatus: JobStatus): Promise<void>;
}
