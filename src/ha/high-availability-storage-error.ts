import { errorMessage } from '../core/error-message.js';

/** Whether a failed high-availability write may nevertheless have been made durable. */
export const WriteOutcome = {
  /** The write certainly did not happen (it failed before its commit). */
  NOT_APPLIED: 'not-applied',
  /** The connection broke while committing: the write may or may not have happened. */
  UNKNOWN: 'unknown',
} as const;
export type WriteOutcome = (typeof WriteOutcome)[keyof typeof WriteOutcome];

/**
 * Thrown when the high-availability storage (the PostgreSQL server, the HA directory) cannot be reached or fails an
 * operation, e.g. a connection terminated by the server. The call fails; the next call reconnects (FLINK-14091).
 */
export class HighAvailabilityStorageError extends Error {
  override readonly name = 'HighAvailabilityStorageError';
  constructor(
    /** Where, e.g. `postgres:test/"spec_1"`. */
    readonly location: string,
    /** What was being done, e.g. `checkpoint id counter getAndIncrement for job 'orders'`. */
    readonly operation: string,
    readonly outcome: WriteOutcome,
    override readonly cause: unknown,
  ) {
    const what = outcome === WriteOutcome.UNKNOWN ? 'the connection broke while committing, so the write may or may not have happened' : 'nothing was changed';
    super(`${operation} failed in ${location}: ${errorMessage(cause)}; ${what}. The next call tries again (and reconnects)`);
  }
}
