import type { CheckpointId } from '../core/ids.js';
import type { JobStatus } from '../core/job-status.js';

/**
 * Hands out checkpoint ids: the first is 1, each is greater than every id handed out before,
 * none is reused, and the count never moves backwards, not even across a coordinator failover.
 */
export interface CheckpointIDCounter {
  /** Returns the current id and advances the counter. @throws CheckpointIDCounterShutdownError after {@link shutdown}. */
  getAndIncrement(): Promise<CheckpointId>;
  /** The id the next {@link getAndIncrement} will return. */
  get(): Promise<CheckpointId>;
  /**
   * Moves the counter so the next id is `next` (used after restoring a checkpoint or savepoint).
   * @throws RangeError when `next` is not a positive integer, or would move the counter backwards.
   */
  setCount(next: number): Promise<void>;
  /** Ends the counter; a globally terminal status releases whatever it persisted. */
  shutdown(jobStatus: JobStatus): Promise<void>;
}

/** Thrown when a counter is used after it was shut down. */
export class CheckpointIDCounterShutdownError extends Error {
  override readonly name = 'CheckpointIDCounterShutdownError';
  constructor(readonly jobStatus: JobStatus) {
    super(`the checkpoint id counter was shut down (job ${jobStatus}); no more ids can be handed out`);
  }
}

/** Checks a `setCount` argument against the current count: positive integer, never backwards. */
export function assertValidNextCount(next: number, current: number): void {
  if (!Number.isSafeInteger(next) || next < 1) {
    throw new RangeError(`CheckpointIDCounter.setCount needs a positive integer, got ${next}`);
  }
  if (next < current) {
    throw new RangeError(`CheckpointIDCounter.setCount(${next}) would move the counter backwards from ${current}; checkpoint ids only go up`);
  }
}
