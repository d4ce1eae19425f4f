import type { CompletedCheckpoint } from '../../src/checkpoint/completed-checkpoint.js';
import { StandaloneCompletedCheckpointStore } from '../../src/checkpoint/standalone-completed-checkpoint-store.js';

/** A store whose adds fail with "no space left on device" while `full` is set; retained checkpoints stay as they are. */
export class FullDiskStore extends StandaloneCompletedCheckpointStore {
  full = false;

  override async addCheckpointAndSubsumeOldestOne(checkpoint: CompletedCheckpoint): Promise<readonly CompletedCheckpoint[]> {
    if (this.full) throw new Error('no space left on device');
    return super.addCheckpointAndSubsumeOldestOne(checkpoint);
  }
}
