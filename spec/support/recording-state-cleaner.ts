import type { CheckpointStateCleaner } from '../../src/coordinator/checkpoint-state-cleaner.js';
import type { CompletedCheckpoint } from '../../src/checkpoint/completed-checkpoint.js';
import type { DiscardCause } from '../../src/checkpoint/completed-checkpoint-store.js';
import type { TaskStateSnapshot } from '../../src/state/state-handles.js';

/** A state cleaner that deletes nothing and records what it was asked to discard. */
export class RecordingStateCleaner implements CheckpointStateCleaner {
  readonly discardedPrivate: TaskStateSnapshot[] = [];
  readonly discardedShared: TaskStateSnapshot[] = [];
  readonly abortedDirectories: number[] = [];
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

  discardPrivateState(states: readonly TaskStateSnapshot[]): void {
    this.discardedPrivate.push(...states);
  }

  discardUnreferencedSharedState(states: readonly TaskStateSnapshot[]): void {
    this.discardedShared.push(...states);
  }

  discardAbortedCheckpoint(_jobId: string, checkpointId: number): void {
    this.abortedDirectories.push(checkpointId);
  }

  async discard(checkpoint: CompletedCheckpoint, cause: DiscardCause): Promise<void> {
    this.discardedCompleted.push({ checkpointId: checkpoint.checkpointId, cause });
  }

  pendingDiscards(): number {
    return this.backlog;
  }

  /** Values of the inline operator states whose private state was discarded, in order. */
  discardedValues(): unknown[] {
    return this.discardedPrivate.map((state) => (state.operatorState?.kind === 'inline' ? state.operatorState.value : null));
  }

  /** Values of the inline operator states whose shared state was discarded, in order. */
  sharedDiscardedValues(): unknown[] {
    return this.discardedShared.map((state) => (state.operatorState?.kind === 'inline' ? state.operatorState.value : null));
  }
}
