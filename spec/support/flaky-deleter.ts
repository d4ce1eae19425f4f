import type { CheckpointId, JobId } from '../../src/core/ids.js';
import type { StateDeleter } from '../../src/storage/state-discarder.js';

/**
 * A deleter whose first `failures` deletions (files and directories alike) reject with an injected error;
 * later ones succeed. Records every attempt and every completed deletion, in order.
 */
export class FlakyDeleter implements StateDeleter {
  readonly attempts: string[] = [];
  readonly deleted: string[] = [];
  private remainingFailures: number;

  constructor(failures: number) {
    this.remainingFailures = failures;
  }

  async deleteFile(path: string): Promise<void> {
    this.attempt(path);
  }

  async discardCheckpointDirectory(jobId: JobId, checkpointId: CheckpointId): Promise<void> {
    this.attempt(`${jobId}/chk-${checkpointId}`);
  }

  private attempt(path: string): void {
    this.attempts.push(path);
    if (this.remainingFailures > 0) {
      this.remainingFailures--;
      throw new Error(`injected failure deleting ${path} (attempt ${this.attempts.length})`);
    }
    this.deleted.push(path);
  }
}
