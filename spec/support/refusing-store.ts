import type { CompletedCheckpoint } from '../../src/checkpoint/completed-checkpoint.js';
import type { CompletedCheckpointStore } from '../../src/checkpoint/completed-checkpoint-store.js';
import type { JobStatus } from '../../src/core/job-status.js';

/**
 * Wraps a store and refuses the next `refuseNextAdds` adds with "no space left on device", as a store on a full disk
 * would: a refused checkpoint never reaches the wrapped store, whose retained checkpoints stay as they were.
 */
export class RefusingStore implements CompletedCheckpointStore {
  refuseNextAdds = 0;
  readonly refusedIds: number[] = [];

  constructor(private readonly inner: CompletedCheckpointStore) {}

  get maxRetained(): number {
    return this.inner.maxRetained;
  }

  async addCheckpointAndSubsumeOldestOne(checkpoint: CompletedCheckpoint): Promise<readonly CompletedCheckpoint[]> {
    if (this.refuseNextAdds === 0) return this.inner.addCheckpointAndSubsumeOldestOne(checkpoint);
    this.refuseNextAdds -= 1;
    this.refusedIds.push(checkpoint.checkpointId);
    throw new Error('no space left on device');
  }

  getLatestCheckpoint(): CompletedCheckpoint | null {
    return this.inner.getLatestCheckpoint();
  }

  getAllCheckpoints(): readonly CompletedCheckpoint[] {
    return this.inner.getAllCheckpoints();
  }

  getNumberOfRetainedCheckpoints(): number {
    return this.inner.getNumberOfRetainedCheckpoints();
  }

  shutdown(jobStatus: JobStatus): Promise<void> {
    return this.inner.shutdown(jobStatus);
  }
}
