import { errorMessage } from '../core/error-message.js';
import type { PersistedCheckpointHistory } from '../checkpoint/checkpoint-history.js';
import type { CheckpointStorage } from '../storage/checkpoint-storage.js';

/**
 * Persists the coordinator's stats history beside the checkpoints, off the mailbox: at most one write is in flight,
 * and requests made meanwhile coalesce into one more write of the history as it is when that write starts. A failed
 * write is reported and the next request tries again; nothing here ever blocks or fails a checkpoint.
 */
export class CheckpointHistoryWriter {
  private writing: Promise<void> | null = null;
  private requested = false;

  constructor(
    private readonly storage: CheckpointStorage,
    private readonly current: () => PersistedCheckpointHistory,
    private readonly onFailure: (message: string) => void,
  ) {}

  /** The history changed: write it (now, or after the write in flight). */
  request(): void {
    this.requested = true;
    if (this.writing === null) this.writing = this.drain();
  }

  /** Resolves once every request made so far is written (or has failed and been reported). */
  async flush(): Promise<void> {
    while (this.writing !== null) await this.writing;
  }

  private async drain(): Promise<void> {
    while (this.requested) {
      this.requested = false;
      const history = this.current();
      try {
        await this.storage.writeHistory(history);
      } catch (error) {
        this.onFailure(`writing the checkpoint history of job ${history.jobId} to ${this.storage.description} failed: ${errorMessage(error)}`);
      }
    }
    this.writing = null;
  }
}
