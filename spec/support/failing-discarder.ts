import type { CompletedCheckpoint } from '../../src/checkpoint/completed-checkpoint.js';
import type { CompletedCheckpointDiscarder, DiscardCause } from '../../src/checkpoint/completed-checkpoint-store.js';

/** How a {@link FailingDiscarder} fails: by returning a rejected promise, or by throwing before returning one. */
export type DiscardFault = 'rejects' | 'throws';

/**
 * A discarder whose discard fails for the chosen checkpoint ids (every id when none are given), as storage that
 * is down would. Records every call, failed or not, as `<cause>(<id>)`.
 */
export class FailingDiscarder implements CompletedCheckpointDiscarder {
  readonly calls: string[] = [];

  constructor(
    private readonly fault: DiscardFault,
    private readonly failingIds: readonly number[] | 'all' = 'all',
  ) {}

  discard(checkpoint: CompletedCheckpoint, cause: DiscardCause): Promise<void> {
    this.calls.push(`${cause}(${checkpoint.checkpointId})`);
    if (this.failingIds !== 'all' && !this.failingIds.includes(checkpoint.checkpointId)) return Promise.resolve();
    const error = new Error(`storage unavailable while discarding checkpoint ${checkpoint.checkpointId}`);
    if (this.fault === 'throws') throw error;
    return Promise.reject(error);
  }
}
