import type { CheckpointId, JobId } from '../../src/core/ids.js';
import type { StateDeleter } from '../../src/storage/state-discarder.js';

/** A deleter whose deletions hang until the spec releases them, to observe queueing and concurrency. */
export class StallingDeleter implements StateDeleter {
  /** Paths whose deletion started and was not released yet, in start order. */
  readonly inFlight: string[] = [];
  readonly deleted: string[] = [];
  maxInFlight = 0;
  private readonly releases = new Map<string, () => void>();

  deleteFile(path: string): Promise<void> {
    return this.stall(path);
  }

  discardCheckpointDirectory(jobId: JobId, checkpointId: CheckpointId): Promise<void> {
    return this.stall(`${jobId}/chk-${checkpointId}`);
  }

  /** Lets the oldest stalled deletion succeed; throws when none is stalled. */
  releaseOldest(): void {
    const path = this.inFlight.shift();
    if (path === undefined) throw new Error('StallingDeleter.releaseOldest: no deletion is stalled');
    this.deleted.push(path);
    (this.releases.get(path) as () => void)();
    this.releases.delete(path);
  }

  private stall(path: string): Promise<void> {
    this.inFlight.push(path);
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight.length);
    return new Promise((resolve) => this.releases.set(path, resolve));
  }
}
