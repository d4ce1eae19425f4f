import { CheckpointType } from '../checkpoint/checkpoint-properties.js';
import type { CompletedCheckpointStore } from '../checkpoint/completed-checkpoint-store.js';
import { filePathsOf } from '../state/state-size.js';

/**
 * What the coordinator asks about the checkpoints the store retains, instead of keeping a copy of them: the store is
 * the one record of which checkpoints a restore may use.
 */
export class RetainedCheckpoints {
  constructor(private readonly store: CompletedCheckpointStore) {}

  /** Whether the store retains the checkpoint (or savepoint) with this id. */
  has(checkpointId: number): boolean {
    return this.store.getAllCheckpoints().some((checkpoint) => checkpoint.checkpointId === checkpointId);
  }

  /** The files a retained checkpoint references, or null when the store does not retain it. */
  filesOf(checkpointId: number): ReadonlySet<string> | null {
    const checkpoint = this.store.getAllCheckpoints().find((retained) => retained.checkpointId === checkpointId);
    return checkpoint === undefined ? null : Object.values(checkpoint.taskStates).reduce((into, state) => filePathsOf(state, into), new Set<string>());
  }

  /** The highest id retained, checkpoint or savepoint; 0 when none is. */
  highestId(): number {
    return Math.max(0, ...this.store.getAllCheckpoints().map((retained) => retained.checkpointId));
  }

  /**
   * Whether snapshots must be full: while the job's only restore points are savepoints (a savepoint or retained
   * checkpoint it was started from in no-claim mode is kept as one), nothing new may depend on files the job does not
   * own, or on a savepoint the user may move. Once a checkpoint of the job's own completed, snapshots build on it.
   */
  onlySavepoints(): boolean {
    const retained = this.store.getAllCheckpoints();
    return retained.length > 0 && retained.every((checkpoint) => checkpoint.properties.type === CheckpointType.SAVEPOINT);
  }
}
