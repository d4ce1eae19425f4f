import type { CheckpointStateCleaner } from '../../src/coordinator/checkpoint-state-cleaner.js';
import type { CompletedCheckpoint } from '../../src/checkpoint/completed-checkpoint.js';
import type { DiscardCause } from '../../src/checkpoint/completed-checkpoint-store.js';
import type { TaskStateSnapshot } from '../../src/state/state-handles.js';

/** A state cleaner that deletes nothing and records what it was asked to discard. */
export class RecordingStateCleaner implements CheckpointStateCleaner {
  readonly discardedUncompleted: { checkpointId: number; states: readonly TaskStateSnapshot[] }[] = [];
  readonly discardedCompleted: { checkpointId: number; cause: DiscardCause }[] = [];
  readonly registered: number[] = [];
  readonly recovered: number[] = [];
  backlog = 0;

  registerCompleted(checkpoint: CompletedCheckpoint): CompletedCheckpoint {
    this.registered.push(checkpoint.checkpointId);
    return checkpoint;
  }

  registerRecovered(checkpoints: readonly CompletedCheckpoint[]): void {
    this.recovered.push(...checkpoints.map((checkpoint) => checkpoint.checkpointId));
  }

  discardUncompletedState(_jobId: string, checkpointId: number, states: readonly TaskStateSnapshot[]): void {
    this.discardedUncompleted.push({ checkpointId, states });
  }

  async discard(checkpoint: CompletedCheckpoint, cause: DiscardCause): Promise<void> {
    this.discardedCompleted.push({ checkpointId: checkpoint.checkpointId, cause });
  }

  pendingDiscards(): number {
    return this.backlog;
  }

  /** Values of the inline operator states discarded, in order. */
  discardedValues(): unknown[] {
    return this.discardedUncompleted.flatMap(({ states }) => states.map((state) => (state.operatorState?.kind === 'inline' ? state.operatorState.value : null)));
  }
}
