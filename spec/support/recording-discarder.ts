import type { CompletedCheckpoint } from '../../src/checkpoint/completed-checkpoint.js';
import type { CompletedCheckpointDiscarder, DiscardCause } from '../../src/checkpoint/completed-checkpoint-store.js';

/** A discarder that discards nothing and records every call, in order, as `<cause>(<id>)`. */
export class RecordingDiscarder implements CompletedCheckpointDiscarder {
  readonly calls: string[] = [];

  async discard(checkpoint: CompletedCheckpoint, cause: DiscardCause): Promise<void> {
    this.calls.push(`${cause}(${checkpoint.checkpointId})`);
  }
}
